import CLKit
import Foundation
import Testing
@testable import CLTrain

/// Tests derived from `LayerRegistry`: every example of every kind, placed in small models after a ReLU and
/// without one, on images and on flat vectors (as many of those as it fits), has a reference gradient that
/// agrees with central differences of the reference loss, and steps on both backends as the reference does.
/// A new kind is covered by listing its `examples`.
@Suite struct LayerKindTests {
    /// 1×11×9 images: odd sizes that no window, stride or tile divides.
    static let input = Shape.image(channels: 1, height: 11, width: 9)
    static let templates = [
        "conv2d(3, 3, padding=1), relu, #, flatten, linear(10)",
        "conv2d(3, 3, padding=1), #, flatten, linear(10)",
        "flatten, linear(12), relu, #, linear(10)",
        "flatten, linear(12), #, linear(10)",
    ]

    /// A ResNet in miniature besides: blocks with and without a projection, batch norms with absorbed ReLUs, and a
    /// ReLU after each block, which its addition runs.
    static let miniResNet = try! Model("conv2d(3, 3, padding=1, bias=false), batchnorm2d, relu, "
        + "residual(conv2d(3, 3, padding=1, bias=false), batchnorm2d, relu, conv2d(3, 3, padding=1, bias=false), batchnorm2d), relu, "
        + "residual(conv2d(5, 3, stride=2, padding=1, bias=false), batchnorm2d), relu, adaptiveavgpool2d(1), flatten, linear(10)",
        input: input, classes: 10)

    /// Each example in every template it fits.
    static let samples: [(kind: String, model: Model)] = [(Residual.name, miniResNet)] + LayerRegistry.kinds.flatMap { kind in
        kind.examples.flatMap { example in
            templates.compactMap { template in
                (try? Model(template.replacingOccurrences(of: "#", with: example), input: input, classes: 10)).map { (kind.name, $0) }
            }
        }
    }

    @Test func everyKindHasExamplesThatFitSomeModel() {
        for kind in LayerRegistry.kinds {
            #expect(!kind.examples.isEmpty, "\(kind.name) lists no examples")
            #expect(Self.samples.contains { $0.kind == kind.name }, "no example of \(kind.name) fits any sample model")
            for example in kind.examples {
                #expect((try? ModelSpec.layers(example))?.first.map { String(describing: $0) } == example,
                        "\(example) is not in canonical form")
            }
        }
    }

    /// Central differences of the reference loss, parameter by parameter, against the reference gradient: six
    /// random elements of every tensor, so each layer's gradient and every input gradient that reaches it is
    /// tested. The loss (~2.3) is a Float, a few ulps (~5e-7) off, so `(L(p + ε) − L(p − ε)) / 2ε` at ε = 5e-3
    /// carries up to ~1e-4 of rounding, and the second difference over 2ε up to ~2e-4.
    /// A shared conv weight feeds hundreds of pre-activations, and moving it may carry one across a ReLU's or a
    /// max-pool's kink, which shifts the difference by exactly the second difference `L(p + ε) − 2L(p) + L(p − ε)`
    /// over 2ε (measured: up to 15% of the gradient). Where that bound, at ε or ε/2, exceeds 2e-4 + 1% of the
    /// gradient, or the two step sizes disagree by as much, the element sits on a kink and is skipped (counted: a
    /// quarter, and six, at least must remain); everywhere else the difference must be within 4e-4 + 2% of the gradient, in nine
    /// elements of ten at least.
    @Test(arguments: samples.map(\.model))
    func referenceGradientMatchesFiniteDifferences(_ model: Model) {
        var generator = seededGenerator("fd \(model.spec)")
        let parameters = Parameters(initializing: model, using: &generator)
        let rows = 2
        let x = randomFloats(rows * model.input.count, using: &generator)
        let labels = randomLabels(rows, classes: model.classes, using: &generator)
        let pass = Pass.training(seed: 3, step: 1)  // dropout draws the same mask on every side
        let (loss, gradients, _) = Reference.lossAndGradients(parameters: parameters, x: x, labels: labels, pass: pass)
        let epsilon: Float = 5e-3
        func shifted(_ index: Int, _ shift: Float) -> Double {
            var moved = parameters
            moved.values[index] += shift
            return Double(Reference.lossAndGradients(parameters: moved, x: x, labels: labels, pass: pass).loss)
        }
        var checked = 0, skipped = 0, mismatches: [String] = []
        for tensor in model.tensors {
            // Six distinct elements (all of a smaller tensor): drawn with replacement, one element on a kink could be
            // counted three times among a bias's three.
            for index in tensor.range.shuffled(using: &generator).prefix(6) {
                let (up, down) = (shifted(index, epsilon), shifted(index, -epsilon))
                let (halfUp, halfDown) = (shifted(index, epsilon / 2), shifted(index, -epsilon / 2))
                let slope = (up - down) / Double(2 * epsilon), halfSlope = (halfUp - halfDown) / Double(epsilon)
                let analytic = Double(gradients[index]), tolerance = 4e-4 + 0.02 * abs(analytic)
                // Kinks on both sides can cancel in one second difference, but not at both step sizes as well.
                let curvature = max(abs(up - 2 * Double(loss) + down) / Double(2 * epsilon),
                                    abs(halfUp - 2 * Double(loss) + halfDown) / Double(epsilon))
                let kink = 2e-4 + 0.01 * abs(analytic)
                guard curvature <= kink, abs(slope - halfSlope) <= kink else { skipped += 1; continue }
                checked += 1
                if !(abs(slope - analytic) <= tolerance) {
                    mismatches.append("\(tensor.name)[\(index - tensor.offset)] finite difference \(slope), gradient \(analytic)")
                }
            }
        }
        #expect(checked >= 6 && 3 * checked >= skipped, "\(model.spec): \(skipped) of \(checked + skipped) elements sat on kinks")
        // Several kinks within ±ε can still slip past both filters (seen: one element in about ten runs of every
        // sample model), so one element in ten may miss; a wrong gradient misses in most of them.
        #expect(mismatches.count * 10 <= checked, "\(model.spec): \(mismatches.count) of \(checked) elements: \(mismatches.prefix(3))")
    }

    /// Two steps of SGD with momentum on each backend against the reference, from the same start.
    @Test(arguments: samples.map(\.model))
    func backendsStepAsTheReferenceDoes(_ model: Model) throws {
        var generator = seededGenerator("step \(model.spec)")
        var plan = TrainingPlan()
        (plan.model, plan.batchSize, plan.seed) = (model, 7, 11)
        plan.optimizer = OptimizerConfig(learningRate: 0.05, momentum: 0.9)
        try expectBackendsStepAsTheReference(plan, rows: 11, columns: 9, using: &generator)
    }
}

/// Two training steps (7 samples, then the last 6 of 13) from one random start on OpenCL and on `--cpu` (with three
/// host workers), each against the reference's steps with `plan`'s optimizer and loss: losses and parameters.
func expectBackendsStepAsTheReference(_ plan: TrainingPlan, rows: Int, columns: Int, using generator: inout SeededGenerator,
                                      sourceLocation: SourceLocation = #_sourceLocation) throws {
    let model = plan.model
    func dataset(_ count: Int) -> Dataset {
        Dataset(name: "random", images: (0..<(count * model.input.count)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                labels: randomLabels(count, classes: model.classes, using: &generator), rows: rows, columns: columns)
    }
    let train = dataset(13), test = dataset(5)
    let start = Parameters(initializing: model, using: &generator)
    let backends: [(String, TrainingBackend)] = [
        ("OpenCL", try OpenCLBackend(library: KernelLibrary(context: testContext()), plan: plan, train: train, test: test)),
        // Three host workers whatever the machine, so that every kind's split passes run (7 samples: 2, 2 and 3).
        ("--cpu", try HostTeam.$injectedWorkers.withValue(3) { try NativeBackend(plan: plan, train: train, test: test) }),
    ]
    for (name, backend) in backends {
        var parameters = start
        var state = OptimizerState(fresh: plan.optimizer, parameterCount: model.parameterCount)
        try backend.load(parameters, state)
        let order = plan.order(epoch: 1, count: train.count)
        try backend.beginEpoch(order: order)
        var expected: [Float] = []
        for (batch, first) in [0, 7].enumerated() {
            let count = min(7, train.count - first)
            try backend.trainStep(batch: batch, start: first, count: count)
            let x = Reference.gatherNormalize(images: Array(train.images), order: order, offset: first, rows: count,
                                              features: model.input.count, normalization: plan.normalization)
            let labels = (0..<count).map { train.labels[Int(order[first + $0])] }
            expected.append(Reference.trainStep(parameters: &parameters, state: &state, optimizer: plan.optimizer,
                                                loss: plan.loss, seed: plan.seed, x: x, labels: labels))
        }
        // Short dot products summed in other orders, then two updates: see TrainerTests' tolerances.
        expectClose(try backend.losses(count: 2), expected, absolute: 1e-5, relative: 1e-4, "\(name) \(model.spec): losses",
                    sourceLocation: sourceLocation)
        let snapshot = try backend.snapshot().0
        expectClose(snapshot.values, parameters.values, absolute: 1e-5, relative: 1e-4,
                    "\(name) \(model.spec): parameters", sourceLocation: sourceLocation)
        expectClose(snapshot.buffers, parameters.buffers, absolute: 1e-5, relative: 1e-4,
                    "\(name) \(model.spec): buffers", sourceLocation: sourceLocation)
        // Evaluation reads the buffers the steps left (a batch norm's running statistics).
        let x = Reference.gatherNormalize(images: Array(test.images), order: (0..<Int32(test.count)).map { $0 }, offset: 0, rows: test.count,
                                          features: model.input.count, normalization: plan.normalization)
        let logProbabilities = Reference.forward(parameters: parameters, x: x, rows: test.count)
        let testLoss = (0..<test.count).map { -Double(logProbabilities[$0 * model.classes + Int(test.labels[$0])]) }
            .reduce(0, +) / Double(test.count)
        expectClose([Float(try backend.evaluate().loss)], [Float(testLoss)], absolute: 1e-5, relative: 1e-4,
                    "\(name) \(model.spec): test loss", sourceLocation: sourceLocation)
    }
}
