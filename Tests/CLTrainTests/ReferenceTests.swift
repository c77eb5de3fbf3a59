import Foundation
import Testing
@testable import CLTrain

// MARK: - Double-precision re-implementations, the functions finite differences are taken of

private enum Exact {
    static func linear(_ x: [Double], _ w: [Double], _ b: [Double], rows: Int, inputs: Int, outputs: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outputs)
        for n in 0..<rows {
            for o in 0..<outputs {
                y[n * outputs + o] = b[o] + (0..<inputs).reduce(0.0) { $0 + x[n * inputs + $1] * w[o * inputs + $1] }
            }
        }
        return y
    }

    static func meanNLLOfLogSoftmax(_ z: [Double], labels: [UInt8], classes: Int) -> Double {
        var sum = 0.0
        for n in labels.indices {
            let row = z[(n * classes)..<((n + 1) * classes)]
            sum += log(row.reduce(0.0) { $0 + exp($1) }) - z[n * classes + Int(labels[n])]
        }
        return sum / Double(labels.count)
    }

    /// The whole model's loss, and which hidden units were active: a finite difference whose two sides
    /// see different active sets straddles a ReLU kink and measures nothing.
    /// For an MLP of layer widths `sizes`, written out independently of `Model`: weight then bias per layer.
    static func modelLoss(_ theta: [Double], sizes: [Int], x: [Float], labels: [UInt8]) -> (loss: Double, active: [Bool]) {
        var activation = x.map(Double.init)
        var active: [Bool] = []
        var offset = 0
        for layer in 0..<(sizes.count - 1) {
            let (inputs, outputs) = (sizes[layer], sizes[layer + 1])
            let weight = offset..<(offset + outputs * inputs), bias = weight.upperBound..<(weight.upperBound + outputs)
            offset = bias.upperBound
            activation = linear(activation, Array(theta[weight]), Array(theta[bias]), rows: labels.count,
                                inputs: inputs, outputs: outputs)
            if layer < sizes.count - 2 {
                active += activation.map { $0 > 0 }
                activation = activation.map { max($0, 0) }
            }
        }
        return (meanNLLOfLogSoftmax(activation, labels: labels, classes: sizes.last!), active)
    }

    /// Central differences of `f` at each element of `point`.
    static func gradient(of f: ([Double]) -> Double, at point: [Float], step: Double = 1e-4) -> [Double] {
        let base = point.map(Double.init)
        return base.indices.map { j in
            var plus = base, minus = base
            plus[j] += step
            minus[j] -= step
            return (f(plus) - f(minus)) / (2 * step)
        }
    }
}

// The analytic gradients below are computed in Float from Float inputs, the finite differences in Double of
// Double re-implementations (central, h = 1e-4: truncation ~h² and rounding ~1e-16/h are both below 1e-9).
// What remains is the Float rounding of sums of at most a dozen O(1) products, ~1e-6, so 1e-5 absolute plus
// 1e-4 relative passes correct code while a wrong index, transpose, sign or missing term misses by O(0.1).
private let gradientAbsolute = 1e-5
private let gradientRelative = 1e-4

// MARK: - Gradients against finite differences, at odd sizes

@Test func matmulBackwardAgainstFiniteDifferences() {
    var generator = seededGenerator()
    let (rows, inputs, outputs) = (5, 11, 7)
    let x = randomFloats(rows * inputs, using: &generator)
    let w = randomFloats(outputs * inputs, using: &generator)
    let b = randomFloats(outputs, using: &generator)
    let dy = randomFloats(rows * outputs, using: &generator)
    // L = Σ dY ⊙ Y has dL/dY = dY, so its gradients are exactly what the backward twins return.
    func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
        zip(dy, Exact.linear(x, w, b, rows: rows, inputs: inputs, outputs: outputs)).reduce(0.0) { $0 + Double($1.0) * $1.1 }
    }
    let (xd, wd, bd) = (x.map(Double.init), w.map(Double.init), b.map(Double.init))

    expectClose(Reference.matmulBackwardInput(dy: dy, weight: w, rows: rows, inputs: inputs, outputs: outputs, reluOutput: nil),
                Exact.gradient(of: { loss($0, wd, bd) }, at: x), absolute: gradientAbsolute, relative: gradientRelative, "dX")
    expectClose(Reference.matmulBackwardWeight(dy: dy, x: x, rows: rows, inputs: inputs, outputs: outputs),
                Exact.gradient(of: { loss(xd, $0, bd) }, at: w), absolute: gradientAbsolute, relative: gradientRelative, "dW")
    expectClose(Reference.biasBackward(dy: dy, rows: rows, outputs: outputs),
                Exact.gradient(of: { loss(xd, wd, $0) }, at: b), absolute: gradientAbsolute, relative: gradientRelative, "db")
}

@Test func matmulBackwardInputThroughReluAgainstFiniteDifferences() {
    var generator = seededGenerator()
    let (rows, inputs, outputs) = (3, 9, 5)
    // Pre-activations are kept ≥ 0.05 from the kink so the ±1e-4 difference never crosses it.
    let a = randomFloats(rows * inputs, in: 0.05...1, using: &generator).map { Bool.random(using: &generator) ? $0 : -$0 }
    let w = randomFloats(outputs * inputs, using: &generator)
    let b = randomFloats(outputs, using: &generator)
    let dy = randomFloats(rows * outputs, using: &generator)
    func loss(_ a: [Double]) -> Double {
        let y = Exact.linear(a.map { max($0, 0) }, w.map(Double.init), b.map(Double.init), rows: rows, inputs: inputs, outputs: outputs)
        return zip(dy, y).reduce(0.0) { $0 + Double($1.0) * $1.1 }
    }
    expectClose(Reference.matmulBackwardInput(dy: dy, weight: w, rows: rows, inputs: inputs, outputs: outputs,
                                              reluOutput: Reference.reluForward(a)),
                Exact.gradient(of: loss, at: a), absolute: gradientAbsolute, relative: gradientRelative, "dA through ReLU")
}

@Test func reluBackwardAgainstFiniteDifferences() {
    var generator = seededGenerator()
    let x = randomFloats(23, in: 0.05...1, using: &generator).map { Bool.random(using: &generator) ? $0 : -$0 }
    let dy = randomFloats(23, using: &generator)
    let loss = { (x: [Double]) in zip(dy, x).reduce(0.0) { $0 + Double($1.0) * max($1.1, 0) } }
    expectClose(Reference.reluBackward(x: x, dy: dy), Exact.gradient(of: loss, at: x),
                absolute: gradientAbsolute, relative: gradientRelative, "dx")
    expectClose(Reference.reluForward(x), x.map { max($0, 0) }, absolute: 0, "relu")
}

@Test func nllLogSoftmaxBackwardAgainstFiniteDifferences() {
    var generator = seededGenerator()
    let (rows, classes) = (5, 7)
    let z = randomFloats(rows * classes, in: -4...4, using: &generator)
    let labels = randomLabels(rows, classes: classes, using: &generator)
    let logp = Reference.logSoftmaxForward(z, rows: rows, classes: classes)
    expectClose(Reference.nllLogSoftmaxBackward(logProbabilities: logp, labels: labels, rows: rows, classes: classes),
                Exact.gradient(of: { Exact.meanNLLOfLogSoftmax($0, labels: labels, classes: classes) }, at: z),
                absolute: gradientAbsolute, relative: gradientRelative, "dZ")
    // The loss itself against Double: logits up to 4 make log-probabilities up to ~8, a few Float ulps.
    let loss = Reference.nllLoss(logProbabilities: logp, labels: labels, rows: rows, classes: classes)
    expectClose([loss], [Exact.meanNLLOfLogSoftmax(z.map(Double.init), labels: labels, classes: classes)], absolute: 1e-5, "loss")
}

@Test func modelGradientsAgainstFiniteDifferences() {
    var generator = seededGenerator()
    let sizes = [13, 9, 5, 3], model = mlp(sizes)
    let parameters = Parameters(initializing: model, using: &generator)
    let rows = 7
    let x = randomFloats(rows * model.input.count, using: &generator)
    let labels = randomLabels(rows, classes: model.classes, using: &generator)

    let (loss, gradients, _) = Reference.lossAndGradients(parameters: parameters, x: x, labels: labels, pass: .evaluation)
    let exact = Exact.modelLoss(parameters.values.map(Double.init), sizes: sizes, x: x, labels: labels)
    expectClose([loss], [exact.loss], absolute: 1e-5, "loss")

    let step = 1e-4
    var analytic: [Float] = [], numeric: [Double] = []
    for j in parameters.values.indices {
        var plus = parameters.values.map(Double.init), minus = plus
        plus[j] += step
        minus[j] -= step
        let (lossPlus, activePlus) = Exact.modelLoss(plus, sizes: sizes, x: x, labels: labels)
        let (lossMinus, activeMinus) = Exact.modelLoss(minus, sizes: sizes, x: x, labels: labels)
        guard activePlus == activeMinus else { continue }
        analytic.append(gradients[j])
        numeric.append((lossPlus - lossMinus) / (2 * step))
    }
    // A kink lies within 1e-4 of a random point rarely; most of the parameters must have been checked.
    #expect(analytic.count > parameters.values.count * 9 / 10, "only \(analytic.count) parameters away from a ReLU kink")
    expectClose(analytic, numeric, absolute: gradientAbsolute, relative: gradientRelative, "model gradients")
}

// MARK: - Forward passes against values worked out by hand

@Test func gatherNormalizeByHand() {
    // Three images of two pixels; order [2, 0, 1] from offset 1 picks images 0 then 1.
    // (p/255 − 0.5)/0.5: 0 → −1, 255 → 1, 51 (0.2) → −0.6, 102 (0.4) → −0.2.
    let x = Reference.gatherNormalize(images: [0, 255, 51, 102, 204, 153], order: [2, 0, 1], offset: 1, rows: 2,
                                      features: 2, normalization: .lesson)
    expectClose(x, [-1, 1, -0.6, -0.2] as [Float], absolute: 1e-6, "X")
}

@Test func matmulForwardByHand() {
    // W = [[1, 2], [3, −4]], b = [0.5, 0.5]; x = [1, 1] → [3.5, −0.5]; x = [2, −1] → [0.5, 10.5].
    let w: [Float] = [1, 2, 3, -4], b: [Float] = [0.5, 0.5], x: [Float] = [1, 1, 2, -1]
    let linear = Reference.matmulForward(x: x, weight: w, bias: b, rows: 2, inputs: 2, outputs: 2, relu: false)
    let relu = Reference.matmulForward(x: x, weight: w, bias: b, rows: 2, inputs: 2, outputs: 2, relu: true)
    expectClose(linear, [3.5, -0.5, 0.5, 10.5] as [Float], absolute: 0, "linear")
    expectClose(relu, [3.5, 0, 0.5, 10.5] as [Float], absolute: 0, "with ReLU")
}

// Logits [1, 2, 3]: log Σ exp = 3 + log(1 + e⁻¹ + e⁻²) = 3 + log(1.5032147) = 3.4076060, so the
// log-probabilities are [−2.4076060, −1.4076060, −0.4076060]. [1000, 1001, 1002] is the same row shifted,
// which only the max-subtracting form survives (exp(1000) overflows). [0, 0, 0] gives −log 3 = −1.0986123.
private let handLogits: [Float] = [1, 2, 3, 1000, 1001, 1002, 0, 0, 0]
private let handLogProbabilities: [Double] = [-2.4076060, -1.4076060, -0.4076060, -2.4076060, -1.4076060, -0.4076060,
                                              -1.0986123, -1.0986123, -1.0986123]
private let handLabels: [UInt8] = [2, 0, 1]

@Test func logSoftmaxForwardByHand() {
    expectClose(Reference.logSoftmaxForward(handLogits, rows: 3, classes: 3), handLogProbabilities, absolute: 1e-6, "log-softmax")
}

@Test func nllLossByHand() {
    // Labels [2, 0, 1] pick 0.4076060, 2.4076060 and 1.0986123; their mean is 1.3046081.
    let loss = Reference.nllLoss(logProbabilities: handLogProbabilities.map(Float.init), labels: handLabels, rows: 3, classes: 3)
    expectClose([loss], [1.3046081], absolute: 1e-6, "loss")
}

@Test func nllLogSoftmaxBackwardByHand() {
    // softmax([1, 2, 3]) = [0.0900306, 0.2447285, 0.6652410]; label 2 subtracts 1 from the last; the second row
    // likewise with label 0; the uniform row [1/3, 1/3, 1/3] with label 1. All divided by the 3 rows.
    let expected: [Double] = [0.0900306, 0.2447285, -0.3347590, -0.9099694, 0.2447285, 0.6652410,
                              1.0 / 3, -2.0 / 3, 1.0 / 3].map { $0 / 3 }
    let dz = Reference.nllLogSoftmaxBackward(logProbabilities: handLogProbabilities.map(Float.init), labels: handLabels,
                                             rows: 3, classes: 3)
    expectClose(dz, expected, absolute: 1e-6, "dZ")
}

@Test func argmaxAndCountCorrectByHand() {
    // A tie between classes 1 and 2 goes to 1; an all-equal row to 0.
    let predictions = Reference.argmax([1, 3, 3, 5, -1, 0, -2, -2, -2], rows: 3, classes: 3)
    #expect(predictions == [1, 0, 0])
    #expect(Reference.countCorrect(predictions: predictions, labels: [1, 2, 0]) == 2)
}

// MARK: - The composite step

@Test(arguments: [
    OptimizerConfig(kind: SGD.name, learningRate: 0.05),
    OptimizerConfig(kind: SGD.name, learningRate: 0.05, momentum: 0.9, weightDecay: 0.01),
    OptimizerConfig(kind: SGD.name, learningRate: 0.05, momentum: 0.9, nesterov: true),
    OptimizerConfig(kind: Adam.name, learningRate: 0.01, weightDecay: 0.01),
    OptimizerConfig(kind: AdamW.name, learningRate: 0.01, weightDecay: 0.1),
])
func trainStepIsGradientsThenUpdate(optimizer: OptimizerConfig) {
    var generator = seededGenerator()
    let model = mlp([11, 7, 3])
    var parameters = Parameters(initializing: model, using: &generator)
    var state = OptimizerState(fresh: optimizer, parameterCount: model.parameterCount)
    var expected = parameters.values
    var buffers = state.buffers
    for step in 1...3 {
        let x = randomFloats(5 * model.input.count, using: &generator)
        let labels = randomLabels(5, classes: model.classes, using: &generator)
        let (expectedLoss, gradients, _) = Reference.lossAndGradients(parameters: Parameters(model: model, values: expected),
                                                                   x: x, labels: labels, pass: .training(seed: 0, step: step))
        var vectors = optimizer.stateNames.map { buffers[$0]! }
        applyRule(optimizer, parameters: &expected, gradients: gradients, state: &vectors, step: step)
        buffers = Dictionary(uniqueKeysWithValues: zip(optimizer.stateNames, vectors))
        let loss = Reference.trainStep(parameters: &parameters, state: &state, optimizer: optimizer, x: x, labels: labels)
        #expect(loss == expectedLoss)
        #expect(state.step == step)
        #expect(parameters.values == expected)
        #expect(state.buffers == buffers)
    }
}
