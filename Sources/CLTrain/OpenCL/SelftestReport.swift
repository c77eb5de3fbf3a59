import Foundation

/// `cltrain selftest`'s output: a table for people, JSON for scripts.
public struct SelftestReport: JSONReport {
    public let device: String
    public let seed: UInt64
    public let results: [KernelCheckResult]

    public init(device: String, seed: UInt64, results: [KernelCheckResult]) {
        self.device = device
        self.seed = seed
        self.results = results
    }

    /// One JSON row per check: its verdict, and its shape as numbers beside the table's label.
    private struct Row: Encodable {
        let kernel: String, variant: String, shape: [Int], detail: String
        let maxAbsoluteError: Double, maxRelativeError: Double, passed: Bool, failures: [String], seconds: Double
    }

    private struct Summary: Encodable {
        let checks: Int, passed: Int, failed: Int, allPassed: Bool
    }

    private enum CodingKeys: String, CodingKey { case device, seed, results, summary }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(device, forKey: .device)
        try container.encode(seed, forKey: .seed)
        try container.encode(results.map {
            Row(kernel: $0.kernel, variant: $0.variant, shape: shapeNumbers($0.sizes), detail: $0.sizes,
                maxAbsoluteError: $0.maxAbsoluteError, maxRelativeError: $0.maxRelativeError, passed: $0.passed,
                failures: $0.failures, seconds: $0.seconds)
        }, forKey: .results)
        let passed = results.filter(\.passed).count
        try container.encode(Summary(checks: results.count, passed: passed, failed: results.count - passed,
                                     allPassed: passed == results.count), forKey: .summary)
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
