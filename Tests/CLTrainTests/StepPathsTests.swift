import CLKit
import Testing

@testable import CLTrain

/// The command-buffer path must run the step it recorded: replays from one starting point give the parameters
/// the same number of queued steps give, bit for bit (the same kernels on the same data in the same order).
@Suite struct StepPathsTests {
    @Test(arguments: ["flatten, linear(24), relu, linear(10)",
                      "conv2d(4, 5, padding=2), relu, maxpool2d(2), conv2d(6, 5), relu, maxpool2d(2), flatten, linear(10)"])
    func replayedStepsMatchQueuedSteps(_ spec: String) throws {
        let context = try testContext()
        var plan = TrainingPlan()
        plan.model = try Model(spec, input: .image(channels: 1, height: 28, width: 28))
        (plan.batchSize, plan.seed) = (13, freshSeed("step paths"))
        plan.optimizer = OptimizerConfig(learningRate: 0.05, momentum: 0.9)
        let (train, test) = (randomDataset("train", count: 40, seed: plan.seed), randomDataset("test", count: 20, seed: plan.seed + 1))
        let backend = try OpenCLBackend(library: KernelLibrary(context: context), plan: plan, train: train, test: test)
        var generator = SeededGenerator(seed: plan.seed)
        let start = (Parameters(initializing: plan.model, using: &generator),
                     OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount))
        try backend.load(start.0, start.1)
        try backend.beginEpoch(0, order: (0..<Int32(train.count)).map { $0 })
        let steps = 3, before = context.launches
        for _ in 0..<steps { try backend.trainStep(batch: 0, start: 0, count: plan.batchSize) }
        let launchesPerStep = (context.launches - before) / steps
        let queued = try backend.snapshot().0

        try backend.load(start.0, start.1)
        guard context.device.offersCommandBuffers else {
            let paths = try StepPaths.measure(backend, rows: plan.batchSize, steps: 1)
            #expect(paths.commandBuffer == nil && paths.absence != nil)
            return
        }
        let recorded = try context.record { try backend.trainStep(batch: 0, start: 0, count: plan.batchSize) }
        #expect(recorded.commands == launchesPerStep)
        // Recording queued nothing: the parameters are still the starting ones.
        let untouched = try backend.snapshot().0.values == start.0.values
        #expect(untouched, "recording queued the step")
        for _ in 0..<steps { try recorded.enqueue() }
        let replayed = try backend.snapshot().0
        // Compared into Bools: a failure must not print every parameter.
        let (same, moved) = (replayed.values == queued.values, replayed.values != start.0.values)
        #expect(same, "replayed steps moved the parameters elsewhere than queued ones")
        #expect(moved, "the replays did not run")
    }
}
