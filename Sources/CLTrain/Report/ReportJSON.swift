import Foundation

extension Encodable {
    /// The `--json` form of a report: indented, keys sorted so output diffs cleanly, and a non-finite number
    /// (a diverged loss, an unmeasurable rate) written as a string instead of failing the whole report.
    public func reportJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
