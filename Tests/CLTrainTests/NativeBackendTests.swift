import Testing
@testable import CLTrain

/// Random uint8 images of 5×3 pixels, so the model's input width (15) matches no BLAS block size.
private func randomDataset(_ name: String, count: Int, classes: Int, using generator: inout SeededGenerator) -> Dataset {
    Dataset(name: name, images: (0..<(count * 15)).map { _ in UInt8.random(in: 0...255, using: &generator) },
            labels: randomLabels(count, classes: classes, using: &generator), rows: 5, columns: 3)
}

private let model = try! Model("linear(9), relu, linear(7), relu, linear(4)", input: .image(channels: 1, height: 5, width: 3))

/// Wide enough that the host workers split its first two layers by their outputs (into 3 and 2 parts with 3
/// workers, none a multiple of 16) and the second layer's input gradient into 3 column ranges. Not with Adam: over
/// 30 steps its division by √v turned OpenBLAS's other summation order into differences of 5e-5 in this model's
/// parameters on one seed in about twenty, with one worker as with three (no split involved).
private let wideModel = try! Model("linear(50), relu, linear(33), relu, linear(4)", input: model.input)

private func plan(_ model: Model, _ optimizer: OptimizerConfig, _ normalization: Normalization, _ batchSize: Int) -> TrainingPlan {
    var plan = TrainingPlan()
    (plan.model, plan.optimizer, plan.normalization, plan.batchSize, plan.seed) = (model, optimizer, normalization, batchSize, 5)
    return plan
}

@Test(arguments: [
    (OptimizerConfig(kind: SGD.name, learningRate: 0.05), 7, wideModel),
    (OptimizerConfig(kind: SGD.name, learningRate: 0.05, momentum: 0.9, weightDecay: 0.01), 33, wideModel),
    (OptimizerConfig(kind: Adam.name, learningRate: 0.01, weightDecay: 0.01), 7, model),
], [1, 3])
func nativeTrainStepsAgreeWithReference(recipe: (optimizer: OptimizerConfig, batchSize: Int, model: Model), workers: Int) throws {
    try HostTeam.$injectedWorkers.withValue(workers) {
        try trainStepsAgreeWithReference(recipe.model, optimizer: recipe.optimizer, batchSize: recipe.batchSize)
    }
}

private func trainStepsAgreeWithReference(_ model: Model, optimizer: OptimizerConfig, batchSize: Int) throws {
    var generator = seededGenerator()
    let train = randomDataset("train", count: 100, classes: model.classes, using: &generator)
    let test = randomDataset("test", count: 10, classes: model.classes, using: &generator)
    let normalization = Normalization(mean: 0.3, std: 0.4)
    var parameters = Parameters(initializing: model, using: &generator)
    var state = OptimizerState(fresh: optimizer, parameterCount: model.parameterCount)

    let backend = try NativeBackend(plan: plan(model, optimizer, normalization, batchSize), train: train, test: test)
    try backend.load(parameters, state)
    var expectedLosses: [Float] = []
    for _ in 0..<2 {
        let order = (0..<Int32(train.count)).shuffled(using: &generator)
        try backend.beginEpoch(order: order)
        expectedLosses = []
        // The last batch of each epoch is partial: 100 = 14·7 + 2 = 3·33 + 1.
        for (batch, start) in stride(from: 0, to: train.count, by: batchSize).enumerated() {
            let rows = min(batchSize, train.count - start)
            try backend.trainStep(batch: batch, start: start, count: rows)
            let x = Reference.gatherNormalize(images: Array(train.images), order: order, offset: start, rows: rows,
                                              features: model.input.count, normalization: normalization)
            let labels = (start..<(start + rows)).map { train.labels[Int(order[$0])] }
            expectedLosses.append(Reference.trainStep(parameters: &parameters, state: &state, optimizer: optimizer, seed: 5, x: x, labels: labels))
        }
    }
    // OpenBLAS sums products in another order than the reference's loops, and the difference compounds over
    // up to 30 steps (Adam divides by √v, which magnifies it for small gradients). Measured worst: 2.4e-7 in a
    // loss, 6e-8 in a parameter, so 1e-5 + 1e-4 relative leaves a wide margin and still fails any wrong
    // gradient, index or update, which shifts values by the learning rate times a gradient, ~1e-3.
    let (finalParameters, finalState) = try backend.snapshot()
    expectClose(try backend.losses(count: expectedLosses.count), expectedLosses, absolute: 1e-5, relative: 1e-4, "losses")
    expectClose(finalParameters.values, parameters.values, absolute: 1e-5, relative: 1e-4, "parameters")
    #expect(finalState.step == state.step)
    #expect(Set(finalState.buffers.keys) == Set(state.buffers.keys))
    for (name, expected) in state.buffers {
        expectClose(finalState.buffers[name] ?? [], expected, absolute: 1e-6, relative: 1e-4, name)
    }
}

@Test func nativeEvaluateAgreesWithReference() throws {
    var generator = seededGenerator()
    // More test samples than one evaluation chunk, and not a multiple of it.
    let test = randomDataset("test", count: 1003, classes: model.classes, using: &generator)
    let train = randomDataset("train", count: 10, classes: model.classes, using: &generator)
    let parameters = Parameters(initializing: model, using: &generator)
    let backend = try NativeBackend(plan: plan(model, .lesson, .lesson, 64), train: train, test: test)
    #expect(NativeBackend.evaluationRows < test.count)
    try backend.load(parameters, OptimizerState())
    let evaluation = try backend.evaluate()

    let x = Reference.gatherNormalize(images: Array(test.images), order: (0..<Int32(test.count)).map { $0 }, offset: 0, rows: test.count,
                                      features: model.input.count, normalization: .lesson)
    let logp = Reference.forward(parameters: parameters, x: x, rows: test.count)
    let loss = Reference.nllLoss(logProbabilities: logp, labels: test.labels, rows: test.count, classes: model.classes)
    // Both sum a thousand Float per-sample losses of ~1.4, each a few ulps apart.
    expectClose([evaluation.loss], [loss], absolute: 1e-5, relative: 1e-5, "test loss")

    let predictions = Reference.argmax(logp, rows: test.count, classes: model.classes)
    let classes = model.classes
    // Only a near-tie between the two best classes may legitimately go either way under different rounding.
    let decided = (0..<test.count).filter { n in
        let sorted = logp[(n * classes)..<((n + 1) * classes)].sorted(by: >)
        return sorted[0] - sorted[1] > 1e-5
    }
    #expect(decided.count > test.count * 9 / 10)
    let disagreements = decided.filter { Int32(evaluation.predictions[$0]) != predictions[$0] }
    #expect(disagreements.isEmpty, "predictions differ at samples \(disagreements.prefix(5))")
}

@Test func nativeLossFallsOnALearnableProblem() throws {
    var generator = seededGenerator()
    // Class c lights up the pixels ≡ c (mod 4) and leaves the others dark, under noise.
    func dataset(_ name: String, count: Int) -> Dataset {
        let labels = randomLabels(count, classes: 4, using: &generator)
        let images = labels.flatMap { label in
            (0..<15).map { pixel in pixel % 4 == Int(label) ? UInt8.random(in: 150...255, using: &generator)
                                                            : UInt8.random(in: 0...100, using: &generator) }
        }
        return Dataset(name: name, images: images, labels: labels, rows: 5, columns: 3)
    }
    let train = dataset("train", count: 99), test = dataset("test", count: 51)
    // Wide enough that no fresh seed leaves too few live units (9 and 7 units, at lr 0.1, failed about one seed
    // in twenty), and a step that converges rather than oscillates.
    let wide = try Model("linear(32), relu, linear(4)", input: model.input)
    let optimizer = OptimizerConfig(kind: SGD.name, learningRate: 0.05, momentum: 0.9)
    let backend = try NativeBackend(plan: plan(wide, optimizer, .lesson, 9), train: train, test: test)
    try backend.load(Parameters(initializing: wide, using: &generator),
                     OptimizerState(fresh: optimizer, parameterCount: wide.parameterCount))
    var epochLosses: [Float] = []
    for _ in 0..<10 {
        try backend.beginEpoch(order: (0..<Int32(train.count)).shuffled(using: &generator))
        for batch in 0..<11 { try backend.trainStep(batch: batch, start: batch * 9, count: 9) }
        epochLosses.append(try backend.losses(count: 11).reduce(0, +) / 11)
    }
    print("epoch losses \(epochLosses)")
    #expect(epochLosses.last! < epochLosses.first! / 4, "loss went from \(epochLosses.first!) to \(epochLosses.last!)")
    #expect(try backend.evaluate().accuracy(labels: test.labels) > 0.9)
}

@Test func nativeLoadRejectsMismatchedState() throws {
    var generator = seededGenerator()
    let train = randomDataset("train", count: 10, classes: 4, using: &generator)
    let adam = OptimizerConfig(kind: Adam.name)
    let backend = try NativeBackend(plan: plan(model, adam, .lesson, 4), train: train, test: train)
    let parameters = Parameters(initializing: model, using: &generator)
    #expect(throws: NativeBackendError.self) { try backend.load(parameters, OptimizerState()) }
    let other = Parameters(initializing: try Model("linear(4)", input: model.input), using: &generator)
    #expect(throws: NativeBackendError.self) {
        try backend.load(other, OptimizerState(fresh: adam, parameterCount: other.values.count))
    }
    #expect(throws: NativeBackendError.self) { try backend.beginEpoch(order: [0, 10]) }

    let state = OptimizerState(step: 3, buffers: ["exp_avg": randomFloats(parameters.values.count, using: &generator),
                                                  "exp_avg_sq": randomFloats(parameters.values.count, in: 0...1, using: &generator)])
    try backend.load(parameters, state)
    let (snapshotParameters, snapshotState) = try backend.snapshot()
    #expect(snapshotParameters == parameters)
    #expect(snapshotState == state)
}
