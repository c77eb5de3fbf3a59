import Foundation

/// A report that `--json` prints. Every report follows one convention, applied here rather than by each type:
/// snake_case keys, a `schema_version` that grows when a report's shape changes incompatibly, sorted keys.
public protocol JSONReport: Encodable {
    /// The version of this report's schema (documented in the README).
    static var schemaVersion: Int { get }
}

extension JSONReport {
    public static var schemaVersion: Int { 1 }

    /// The `--json` form of a report: indented, keys sorted so output diffs cleanly, and a non-finite number
    /// (a diverged loss, an unmeasurable rate) written as a string instead of failing the whole report.
    public func reportJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(Versioned(report: self)), as: UTF8.self)
    }
}

/// The report's own keys plus `schema_version`, in one object.
private struct Versioned<Report: JSONReport>: Encodable {
    let report: Report

    enum CodingKeys: String, CodingKey { case schemaVersion }

    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Report.schemaVersion, forKey: .schemaVersion)
    }
}

/// The dimensions at the start of a shape label such as `64×784→128 +relu` or `1000, step 3`: the numbers joined
/// by × and → before the first space or comma. Labels stay readable in tables; JSON gets the numbers.
func shapeNumbers(_ label: String) -> [Int] {
    let dimensions = label.prefix { $0 != " " && $0 != "," }
    return dimensions.split(whereSeparator: { $0 == "×" || $0 == "→" }).compactMap { Int($0) }
}
