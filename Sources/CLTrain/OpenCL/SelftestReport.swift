import Foundation

/// `cltrain selftest`'s output: a table for people, JSON for scripts.
public struct SelftestReport: Encodable {
    public let device: String
    public let seed: UInt64
    public let results: [KernelCheckResult]

    public init(device: String, seed: UInt64, results: [KernelCheckResult]) {
        self.device = device
        self.seed = seed
        self.results = results
    }

    public static func table(_ results: [KernelCheckResult]) -> String {
        let header = ["kernel", "variant", "sizes", "max abs err", "max rel err", "result", "time"]
        let rows = results.map { r in
            [r.kernel, r.variant, r.sizes, String(format: "%.2e", r.maxAbsoluteError), String(format: "%.2e", r.maxRelativeError),
             r.passed ? "pass" : "FAIL", String(format: "%.3f ms", r.seconds * 1000)]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        var lines = [line(header), line(widths.map { String(repeating: "-", count: $0) })]
        for (result, row) in zip(results, rows) {
            lines.append(line(row))
            lines += result.failures.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
