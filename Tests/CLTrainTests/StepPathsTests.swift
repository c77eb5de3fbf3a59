import CLKit
import Testing

@testable import CLTrain

/// The replay path must train exactly as the queue does: everything that differs between steps is in the step
/// record, so whole runs through `Trainer` (shuffled epochs, an epoch's short last batch, a schedule, dropout's
/// masks, augmentation, batch norm, Adam's bias corrections) end with the same losses and parameters, bit for bit.
@Suite struct StepPathsTests {
    static let recipes: [(spec: String, optimizer: OptimizerConfig, augmentation: Augmentation)] = [
        ("flatten, linear(24), relu, dropout(0.3), linear(10)",
         OptimizerConfig(kind: Adam.name, learningRate: 0.01), .none),
        ("conv2d(4, 3, padding=1), batchnorm2d, relu, residual(conv2d(4, 3, padding=1), batchnorm2d), relu, maxpool2d(2), "
            + "conv2d(6, 5), relu, maxpool2d(2), flatten, linear(10)",
         OptimizerConfig(learningRate: 0.05, momentum: 0.9), Augmentation(padding: 2, flip: true)),
    ]

    static func plan(_ recipe: (spec: String, optimizer: OptimizerConfig, augmentation: Augmentation)) throws -> TrainingPlan {
        var plan = TrainingPlan()
        plan.model = try Model(recipe.spec, input: .image(channels: 1, height: 28, width: 28))
        (plan.batchSize, plan.epochs, plan.seed) = (13, 2, freshSeed("step paths"))
        (plan.optimizer, plan.augmentation, plan.schedule) = (recipe.optimizer, recipe.augmentation, Schedule(.cosine, warmup: 2))
        return plan
    }

    @Test(arguments: 0..<recipes.count)
    func replayedTrainingMatchesQueuedTraining(_ recipe: Int) throws {
        let context = try testContext()
        let plan = try Self.plan(Self.recipes[recipe])
        // 44 samples: three batches of 13 and one of 5 an epoch, so two sizes of step are recorded.
        let (train, test) = (randomDataset("train", count: 44, seed: plan.seed), randomDataset("test", count: 20, seed: plan.seed + 1))
        func run(_ path: StepPath) throws -> (history: [EpochMetrics], parameters: [Float], launches: Int, backend: OpenCLBackend) {
            let backend = try OpenCLBackend(library: KernelLibrary(context: context), plan: plan, train: train, test: test,
                                            stepPath: path)
            try backend.start(plan)
            let history = try Trainer(backend: backend, plan: plan, trainCount: train.count, testLabels: test.labels,
                                      reporter: .silent()).run { _ in }
            // Launches of a few more steps of a recorded size, with nothing else between them.
            let before = context.launches
            for batch in 0..<3 { try backend.trainStep(batch: batch, start: batch * 13, count: 13) }
            return (history, try backend.snapshot().0.values, (context.launches - before) / 3, backend)
        }
        let queued = try run(.queue)
        guard context.device.offersCommandBuffers else {
            #expect(throws: OpenCLBackendError.self) { try run(.replay) }
            return
        }
        let replayed = try run(.replay)
        #expect(replayed.history.map(\.trainLoss) == queued.history.map(\.trainLoss))
        #expect(replayed.history.map(\.testLoss) == queued.history.map(\.testLoss))
        // Compared into Bools: a failure must not print every parameter.
        let same = replayed.parameters == queued.parameters
        #expect(same, "replayed steps moved the parameters elsewhere than queued ones")
        #expect(queued.launches > 1 && replayed.launches == 1)
        #expect(replayed.backend.recordedCommands(rows: 13) == queued.launches)
        #expect(replayed.backend.recordedCommands(rows: 5) == queued.launches)
    }

    /// A recorded step reads the same buffers every time: a streamed training set, whose chunks move, is refused
    /// by name, as is a device without command buffers.
    @Test func replayIsRefusedWhereItCannotFollowTheSteps() throws {
        let context = try testContext()
        let plan = try Self.plan(Self.recipes[0])
        let (train, test) = (randomDataset("train", count: 44, seed: 3), randomDataset("test", count: 20, seed: 4))
        do {
            _ = try OpenCLBackend(library: KernelLibrary(context: context), plan: plan, train: train, test: test,
                                  placement: DataPlacement(trainChunk: 26, testChunk: 20), stepPath: .replay)
            Issue.record("a streamed training set was replayed")
        } catch let error as OpenCLBackendError {
            let reason = context.device.offersCommandBuffers ? "streams" : "cl_khr_command_buffer"
            #expect("\(error)".hasPrefix("--step-path replay: ") && "\(error)".contains(reason), "\(error)")
        }
        #expect(throws: OpenCLBackendError.self) {
            try ComputeDevice.host().backend(plan: plan, train: train, test: test, stepPath: .replay)
        }
    }

    /// The host's records go round a ring; past its end, the device still gets each record, the last one last.
    @Test func recordsSurviveTheRingsWrap() throws {
        let context = try testContext()
        let ring = StepRecordRing(context: context, capacity: 4)
        let buffer = try Buffer<UInt32>(context: context, count: StepRecord.wordCount)
        for step in 1...11 {
            try ring.write(StepRecord(offset: step, slot: step, step: step, factors: SIMD4(Float(step), 0, 0, 0)),
                           range: 0..<StepRecord.wordCount, to: buffer)
        }
        #expect(try buffer.read() == StepRecord(offset: 11, slot: 11, step: 11, factors: SIMD4(11, 0, 0, 0)).words)
    }
}
