import CLKit
import Foundation
import Testing
@testable import CLTrain

/// The OpenCL backend against the CPU reference and the native backend, step by step, and the training
/// loop's behaviour on both, on small generated data so the suite stays fast.
@Suite struct TrainerTests {
    /// A small MLP for the loop's tests; the presets for the step-by-step comparisons.
    static let model = try! Model("linear(33), relu, linear(7), relu, linear(10)", input: .image(channels: 1, height: 28, width: 28))
    /// The presets whose reference step a debug build runs in a few seconds: ResNet-8's (9 million multiply-adds per
    /// sample, 40 times LeNet-5's) took 230 s of the suite's CPU, and its kinds are checked in miniature by
    /// `LayerKindTests.miniResNet`.
    static let presets = ModelSpec.presets.map { try! Model($0.name, input: .image(channels: 1, height: 28, width: 28)) }
        .filter { model in model.stages.reduce(0) { $0 + $1.layer.multiplyAdds(for: $1.input) } < 2_000_000 }
    /// Dropout after a layer without ReLU, a ReLU of its own after flatten, and a view in the middle.
    static let oddLayers = try! Model("flatten, relu, dropout(0.5), linear(20), dropout(0.3), relu, linear(10)",
                                      input: .image(channels: 1, height: 28, width: 28))
    /// Convolutions with stride, padding and overlapping pools, a conv reading a pooled ReLU output, dropout on
    /// an image: the masks and the routes of every kind that meets another.
    static let convolutions = try! Model("conv2d(3, 3, stride=2, padding=1), relu, maxpool2d(3, stride=2), conv2d(5, 2), relu, "
                                         + "dropout(0.25), maxpool2d(2), flatten, linear(10)",
                                         input: .image(channels: 1, height: 28, width: 28))
    static let configurations: [OptimizerConfig] = [
        OptimizerConfig(learningRate: 0.05),
        OptimizerConfig(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01),
        {
            // Adam's step m/(√v + ε) moves a parameter by about lr whatever the gradient's size, so with PyTorch's
            // ε = 1e-8 a gradient as small as the rounding differences between two summation orders can flip its
            // sign (seen: 2e-5 apart after one step). ε = 1e-3 bounds how much such a difference can move it.
            var adam = OptimizerConfig(kind: Adam.name, learningRate: 0.01, weightDecay: 0.01)
            adam.epsilon = 1e-3
            return adam
        }(),
    ]

    func openCLBackend(_ plan: TrainingPlan, train: Dataset, test: Dataset) throws -> OpenCLBackend {
        try OpenCLBackend(library: KernelLibrary(context: testContext()), plan: plan, train: train, test: test)
    }

    func plan(_ optimizer: OptimizerConfig, model: Model = model, batchSize: Int = 7, epochs: Int = 2) -> TrainingPlan {
        var plan = TrainingPlan()
        plan.model = model
        plan.seed = 7
        plan.optimizer = optimizer
        plan.batchSize = batchSize
        plan.epochs = epochs
        return plan
    }

    /// Two whole forward + backward + update steps on OpenCL equal the same steps of the CPU reference: every
    /// optimizer on a small MLP, and each preset (the dropout one draws the same masks on both).
    @Test(arguments: configurations.map { ($0, model) } + presets.map { (configurations[2], $0) } + [(configurations[1], oddLayers), (configurations[1], convolutions)])
    func openCLStepMatchesReference(_ optimizer: OptimizerConfig, _ model: Model) throws {
        var generator = seededGenerator()
        let train = randomDataset("train", count: 50, seed: generator.next()), test = randomDataset("test", count: 9, seed: 1)
        let plan = plan(optimizer, model: model, batchSize: 33)
        let order = plan.order(epoch: 1, count: train.count)
        let batches = [0, 33].map { start in
            let count = min(33, train.count - start)
            return (start: start, count: count,
                    x: Reference.gatherNormalize(images: Array(train.images), order: order, offset: start, rows: count,
                                                 features: 784, normalization: plan.normalization),
                    labels: (0..<count).map { train.labels[Int(order[start + $0])] })
        }
        // A ReLU input within rounding of 0 may fall on the other side on the device (seen: one unit of the dropout
        // preset's second layer), and the step's gradients then differ by a whole sample's share, beyond any
        // tolerance that still catches a wrong kernel: such parameters are drawn again.
        var initial: Parameters, fresh: OptimizerState
        var expected: [(loss: Float, parameters: Parameters, state: OptimizerState)] = []
        var draws = 0
        repeat {
            draws += 1
            initial = Parameters(initializing: plan.model, using: &generator)
            fresh = OptimizerState(fresh: optimizer, parameterCount: plan.model.parameterCount)
            var (parameters, state) = (initial, fresh)
            expected = []
            for batch in batches {
                guard nearestReLUKink(parameters, x: batch.x, rows: batch.count, pass: .training(seed: plan.seed, step: state.step + 1)) > 1e-5
                else { break }
                let loss = Reference.trainStep(parameters: &parameters, state: &state, optimizer: optimizer, seed: plan.seed,
                                               x: batch.x, labels: batch.labels)
                expected.append((loss, parameters, state))
            }
        } while expected.count < batches.count && draws < 30
        try #require(expected.count == batches.count, "30 draws all put a ReLU input within 1e-5 of its kink")

        let backend = try openCLBackend(plan, train: train, test: test)
        try backend.load(initial, fresh)
        try backend.beginEpoch(order: order)
        for (batch, (step, reference)) in zip(batches, expected).enumerated() {
            try backend.trainStep(batch: batch, start: step.start, count: step.count)
            // Dot products of up to 784 terms summed in another order, then one update: see KernelChecks' tolerances.
            expectClose(Array(try backend.losses(count: batch + 1)[batch...]), [reference.loss], absolute: 1e-5, relative: 1e-5, "loss of batch \(batch)")
            let (deviceParameters, deviceState) = try backend.snapshot()
            expectClose(deviceParameters.values, reference.parameters.values, absolute: 1e-5, relative: 1e-4, "parameters after batch \(batch)")
            #expect(deviceState.step == reference.state.step)
            for (name, values) in reference.state.buffers {
                expectClose(try #require(deviceState.buffers[name]), values, absolute: 1e-5, relative: 1e-4, "\(name) after batch \(batch)")
            }
        }
    }

    /// The smallest non-zero magnitude of any input to a ReLU on flat features in the reference forward pass of
    /// `x`: a stage's output before the ReLU it absorbs, or a separate ReLU stage's input. There a flip moves a
    /// whole sample's share of the layer below's weight gradient; in an image (a convolution's output) it moves
    /// one position's of hundreds, within the tolerances. Top-level stages only (no preset here has blocks).
    func nearestReLUKink(_ parameters: Parameters, x: [Float], rows: Int, pass: Pass) -> Float {
        var buffers = parameters.buffers[...]
        let activations = Reference.forwardActivations(parameters.model.plan, parameters: parameters.values[...],
                                                       buffers: &buffers, x: x, rows: rows, pass: pass)
        var nearest = Float.infinity
        for var stage in parameters.model.plan.stages where !stage.layer.isView {
            let input = activations[stage.inputActivation]
            if stage.layer is ReLU, stage.input.isFlat {
                nearest = min(nearest, nearestNonZero(input))
            } else if stage.relu, stage.output.isFlat {
                stage.relu = false
                var scratch = parameters.buffers[...]
                let range = stage.bufferRange
                let preactivation = stage.layer.referenceOperation(stage).forward(
                    input, rows: rows, parameters: parameters.values[stage.parameterRange], buffers: &scratch[range], pass: pass)
                nearest = min(nearest, nearestNonZero(preactivation))
            }
        }
        return nearest
    }

    /// Exact zeros (dropped by dropout, or a ReLU's output) are zero on every backend, so they cannot flip.
    private func nearestNonZero(_ values: [Float]) -> Float {
        values.lazy.filter { $0 != 0 }.map(abs).min() ?? .infinity
    }

    /// The same seed gives the same run on both backends, loss for loss, within rounding; with dropout too,
    /// since both draw the same masks. (The dropout preset runs with plain SGD: its 256 first-layer units under
    /// Adam amplify the two backends' rounding differences wherever a unit's input sits at the ReLU's kink,
    /// so 30 steps already move some weights by more than any tolerance that still catches a wrong mask.)
    @Test(arguments: configurations.map { ($0, model) } + [(configurations[0], presets[1]), (configurations[1], convolutions)])
    func openCLAndNativeTrainAlike(_ optimizer: OptimizerConfig, _ model: Model) throws {
        var generator = seededGenerator()
        let train = randomDataset("train", count: 100, seed: generator.next())
        let test = randomDataset("test", count: 37, seed: generator.next())
        let plan = plan(optimizer, model: model)
        let start = Parameters(initializing: plan.model, using: &generator)
        let fresh = OptimizerState(fresh: optimizer, parameterCount: plan.model.parameterCount)
        var histories: [[EpochMetrics]] = []
        var finals: [Parameters] = []
        let backends: [TrainingBackend] = [
            try openCLBackend(plan, train: train, test: test),
            try NativeBackend(plan: plan, train: train, test: test),
        ]
        for backend in backends {
            try backend.load(start, fresh)
            let trainer = Trainer(backend: backend, plan: plan, trainCount: train.count, testLabels: test.labels,
                                  reporter: .silent())
            histories.append(try trainer.run { _ in })
            finals.append(try backend.snapshot().0)
        }
        let (a, b) = (histories[0], histories[1])
        #expect(a.count == 2 && b.count == 2)
        // Two epochs of 15 steps each, with every step's rounding differences carried forward.
        expectClose(a.map(\.trainLoss), b.map(\.trainLoss), absolute: 1e-4, relative: 1e-4, "training losses")
        expectClose(a.map(\.testLoss), b.map(\.testLoss), absolute: 1e-4, relative: 1e-4, "test losses")
        expectClose(finals[0].values, finals[1].values, absolute: 1e-4, relative: 1e-3, "final parameters")
    }

    @Test(arguments: [true, false])
    func lossFallsOnBothBackends(openCL: Bool) throws {
        var generator = seededGenerator()
        let train = randomDataset("train", count: 64, seed: generator.next()), test = randomDataset("test", count: 10, seed: 2)
        // 12 epochs of 4 steps: at 8, one fresh seed in this session's runs had not yet halved the loss (1.34).
        let plan = plan(OptimizerConfig(kind: Adam.name, learningRate: 0.01), batchSize: 16, epochs: 12)
        let backend: TrainingBackend = openCL
            ? try openCLBackend(plan, train: train, test: test)
            : try NativeBackend(plan: plan, train: train, test: test)
        try backend.load(Parameters(initializing: plan.model, using: &generator),
                         OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount))
        let history = try Trainer(backend: backend, plan: plan, trainCount: train.count, testLabels: test.labels,
                                  reporter: .silent()).run { _ in }
        // 64 random images with random labels: memorizing them drives the training loss down.
        #expect(history.last!.trainLoss < 0.5 * history.first!.trainLoss, "\(history.map(\.trainLoss))")
    }

    @Test func divergenceStopsTheRunWithItsEpochAndBatch() throws {
        var generator = seededGenerator()
        let train = randomDataset("train", count: 70, seed: generator.next()), test = randomDataset("test", count: 5, seed: 3)
        // A zero standard deviation makes every input infinite, so the first batch's loss is NaN whatever the
        // weights: a deterministic stand-in for a learning rate that blows up.
        var plan = plan(OptimizerConfig(learningRate: 0.05), epochs: 3)
        plan.normalization = Normalization(mean: 0.5, std: 0)
        let backend = try openCLBackend(plan, train: train, test: test)
        try backend.load(Parameters(initializing: plan.model, using: &generator),
                         OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount))
        let trainer = Trainer(backend: backend, plan: plan, trainCount: train.count, testLabels: test.labels,
                              reporter: .silent())
        do {
            try trainer.run { _ in }
            Issue.record("infinite inputs trained without a NaN loss")
        } catch let error as TrainingError {
            #expect(error.description.contains("epoch 1, batch 1 is NaN"))
            #expect(error.description.contains("lower the learning rate"))
        }
    }

    @Test func epochOrderDependsOnlyOnSeedAndEpoch() {
        var plan = TrainingPlan()
        plan.seed = 42
        let first = plan.order(epoch: 3, count: 1000)
        #expect(first == plan.order(epoch: 3, count: 1000))
        #expect(first != plan.order(epoch: 4, count: 1000))
        #expect(first.sorted() == Array(0..<1000))
    }
}
