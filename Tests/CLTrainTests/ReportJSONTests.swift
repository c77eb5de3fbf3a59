import Foundation
import Testing
@testable import CLTrain

@Suite struct ReportJSONTests {
    func parse(_ report: some JSONReport) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(report.reportJSON().utf8)) as? [String: Any])
    }

    @Test func selftestRowsHaveNumericShapesAVerdictAndASummary() throws {
        let results = [
            KernelCheckResult(kernel: "matmul_forward", variant: "matmul_vector.cl", sizes: "7×93→13 +relu",
                              maxAbsoluteError: 1e-7, maxRelativeError: 2e-6, failures: [], seconds: 0.001),
            KernelCheckResult(kernel: "sgd_update", variant: "", sizes: "1001, lr 0.1, momentum 0.9, decay 0.0",
                              maxAbsoluteError: 1, maxRelativeError: 1, failures: ["[3] 1.0 vs 2.0"], seconds: 0.002),
        ]
        let json = try parse(SelftestReport(device: "test device", seed: 7, results: results))
        #expect(json["schema_version"] as? Int == 1)
        let rows = try #require(json["results"] as? [[String: Any]])
        #expect(rows[0]["shape"] as? [Int] == [7, 93, 13] && rows[0]["detail"] as? String == "7×93→13 +relu")
        #expect(rows[1]["shape"] as? [Int] == [1001])
        #expect(rows.map { $0["passed"] as? Bool } == [true, false])
        #expect(rows[0]["max_absolute_error"] as? Double == 1e-7)
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["checks"] as? Int == 2 && summary["passed"] as? Int == 1 && summary["failed"] as? Int == 1)
        #expect(summary["all_passed"] as? Bool == false)
        #expect(Set(rows[0].keys) == ["kernel", "variant", "shape", "detail", "max_absolute_error", "max_relative_error",
                                      "passed", "failures", "seconds"])
    }

    @Test func benchKeysAreSnakeCaseWithNumericShapes() throws {
        let report = BenchReport(
            device: "d", data: "x", kernels: [KernelTiming(kernel: "matmul_forward", shape: "64×784→128", seconds: 1e-5,
                                                           gigaflopsPerSecond: 12.5, gigabytesPerSecond: nil, timing: .profiling)],
            launchesPerStep: 11, hostSecondsPerStep: 2e-5,
            epochs: [EpochMetrics(epoch: 2, trainLoss: .nan, testLoss: 0.3, testAccuracy: 0.9, seconds: 4, samplesPerSecond: 15_000)])
        let json = try parse(report)
        #expect(json["schema_version"] as? Int == 1 && json["launches_per_step"] as? Int == 11)
        let kernel = try #require((json["kernels"] as? [[String: Any]])?.first)
        #expect(kernel["shape"] as? [Int] == [64, 784, 128] && kernel["gigaflops_per_second"] as? Double == 12.5)
        #expect(Set(json.keys) == ["schema_version", "device", "data", "kernels", "launches_per_step", "host_seconds_per_step",
                                   "epochs", "seconds_per_epoch", "samples_per_second"])
    }

    @Test(arguments: [("64×784→128 +relu", [64, 784, 128]), ("1000, step 3", [1000]), ("7×10 loss", [7, 10]), ("", [])])
    func shapeNumbersReadTheLeadingDimensions(_ label: String, _ expected: [Int]) {
        #expect(shapeNumbers(label) == expected)
    }
}
