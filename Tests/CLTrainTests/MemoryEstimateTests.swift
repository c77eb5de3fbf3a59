import Testing
@testable import CLTrain

/// The whole run's memory is checked against limits the test sets, so the result is the same on any machine.
@Suite struct MemoryEstimateTests {
    let train = randomDataset("train", count: 20, seed: 1), test = randomDataset("test", count: 5, seed: 2)

    func plan(_ hidden: [Int], optimizer: OptimizerConfig = OptimizerConfig(kind: Adam.name), batchSize: Int = 64) -> TrainingPlan {
        var plan = TrainingPlan()
        (plan.model, plan.optimizer, plan.batchSize) = (mnistMLP(hidden), optimizer, batchSize)
        return plan
    }

    /// 784·1000 + 1000·10 weights and 1010 biases, each with a gradient and Adam's two moments.
    @Test func parametersCountWithGradientsAndOptimizerState() {
        let estimate = MemoryEstimate(plan: plan([1000]), train: train, test: test, native: true)
        #expect(estimate.parameterBytes == 4 * 795_010 * 4)
        let sgd = MemoryEstimate(plan: plan([1000], optimizer: OptimizerConfig()), train: train, test: test, native: true)
        #expect(sgd.parameterBytes == 4 * 795_010 * 2)
        // Both splits' pixels as floats natively, as bytes plus an order entry on OpenCL.
        #expect(estimate.datasetBytes == 4 * 25 * 784 + 25)
        #expect(MemoryEstimate(plan: plan([1000]), train: train, test: test, native: false).datasetBytes == 25 * 784 + 5 * 25)
    }

    @Test(arguments: [true, false])
    func aRunOverTheLimitIsRefusedBeforeAllocating(native: Bool) throws {
        let compute: ComputeDevice = native ? .host : .openCL(try testContext())
        let tooSmall = ComputeDevice.MemoryLimits(device: native ? nil : 1 << 20, host: native ? 1 << 20 : .max)
        #expect { try compute.backend(plan: plan([1000]), train: train, test: test, limits: tooSmall) } throws: { error in
            let message = "\(error)"
            return error is MemoryEstimateError && message.contains("--model (or --hidden)") && message.contains("--batch-size")
                && message.contains(native ? "the host's available memory" : "the global memory of") && !message.contains("\n")
        }
        _ = try compute.backend(plan: plan([1000]), train: train, test: test,
                                limits: ComputeDevice.MemoryLimits(device: 1 << 30, host: 1 << 30))
    }

    @Test func availableMemoryComesFromMeminfo() {
        #expect(MemoryEstimate.availableHostBytes(meminfo: "MemTotal: 100 kB\nMemAvailable:    2048 kB\n") == 2 << 20)
        #expect(MemoryEstimate.availableHostBytes(meminfo: "garbage") > 0)
    }
}
