import CLKit
import Testing
@testable import CLTrain

/// The too-large check runs against an injected limit, so it holds whatever the device allows in one buffer.
@Suite struct OpenCLBackendLimitTests {
    @Test func bufferOverTheLimitIsRefusedNamingTheOptions() throws {
        let train = randomDataset("train", count: 20, seed: 1), test = randomDataset("test", count: 5, seed: 2)
        // 784·1000 + 1000·10 weights and 1010 biases: 3 MiB of parameters, over a 1 MiB limit.
        var plan = TrainingPlan()
        (plan.model, plan.batchSize) = (mnistMLP([1000]), 8)
        func backend(limit: UInt64) throws -> OpenCLBackend {
            try OpenCLBackend(library: KernelLibrary(context: testContext()), plan: plan, train: train, test: test,
                              allocationLimit: limit)
        }
        #expect { try backend(limit: 1 << 20) } throws: { error in
            let message = (error as? OpenCLBackendError)?.description ?? ""
            return message.contains("allows at most 1 MiB in one") && message.contains("--hidden")
                && message.contains("--batch-size") && !message.contains("\n")
        }
        _ = try backend(limit: 8 << 20)  // the same run under a limit it fits
    }
}
