import CLKit
import CLTrain
import Testing

/// Configurations shrunk to small devices still compute what their twins do.
@Suite(.serialized) struct KernelFitTests {
    @Test func configurationsShrinkToTheDevicesLimits() {
        let small = KernelConfiguration.gpu.fitted(maxWorkGroupSize: 4, localMemoryBytes: 1024)
        guard case .tiled(let tile, let depth, let rows, let columns) = small.matmul else {
            Issue.record("the tiled configuration changed family: \(small)")
            return
        }
        #expect((tile / rows) * (tile / columns) <= 4)
        #expect(2 * tile * depth * 4 <= 1024)
        #expect(small.reductionGroup == 4)
        // A device that allows more changes nothing.
        #expect(KernelConfiguration.gpu.fitted(maxWorkGroupSize: 1024, localMemoryBytes: 65536) == .gpu)
    }

    /// Groups of at most 4 work-items, as on a device whose limit is 4, on the first device: the tiled matmul
    /// kernels and every one-group reduction.
    @Test(arguments: KernelChecks.matmulKernels + ["nll_loss", "cross_entropy_forward_backward", "count_correct"])
    func smallGroupsMatchTheTwins(_ kernel: String) throws {
        let configuration = KernelConfiguration.gpu.fitted(maxWorkGroupSize: 4, localMemoryBytes: 1024)
        var checks = KernelChecks(library: try KernelLibrary(context: testContext(), configuration: configuration),
                                  seed: freshSeed("small groups \(kernel)"))
        let results = try checks.run(kernel)
        #expect(!results.isEmpty)
        for result in results {
            #expect(result.passed, "\(kernel) \(result.sizes): \(result.failures.joined(separator: "; "))")
        }
    }
}
