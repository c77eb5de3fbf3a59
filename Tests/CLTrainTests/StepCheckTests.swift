import Testing
@testable import CLTrain

/// `cltrain step`'s check of W_new = W − lr·∇W: it holds for the reference's own SGD step and fails for a step that is
/// wrong anywhere, by a rate, a sign or a NaN.
@Suite struct StepCheckTests {
    let model = try! Model("flatten, linear(5), relu, linear(3)", input: .image(channels: 1, height: 4, width: 4))

    func step() -> (before: Parameters, after: Parameters, gradients: [Float]) {
        var generator = seededGenerator("step check")
        let before = Parameters(initializing: model, using: &generator)
        let x = randomFloats(6 * 16, using: &generator), labels = randomLabels(6, classes: 3, using: &generator)
        let gradients = Reference.lossAndGradients(parameters: before, x: x, labels: labels, pass: .training(seed: 0, step: 1)).gradients
        var after = before, state = OptimizerState(fresh: .lesson, parameterCount: model.parameterCount)
        Reference.trainStep(parameters: &after, state: &state, optimizer: .lesson, x: x, labels: labels)
        return (before, after, gradients)
    }

    @Test func holdsForASGDStepAndFailsForAWrongOne() {
        let (before, after, gradients) = step()
        #expect(StepCheck(before: before, after: after, gradients: gradients, learningRate: 0.003).holds)
        #expect(!StepCheck(before: before, after: after, gradients: gradients, learningRate: 0.006).holds)
        #expect(!StepCheck(before: before, after: after, gradients: gradients.map { -$0 }, learningRate: 0.003).holds)
        #expect(!StepCheck(before: before, after: before, gradients: gradients, learningRate: 0.003).holds)
        let largest = gradients.indices.max { abs(gradients[$0]) < abs(gradients[$1]) }!
        for wrong in [after.values[largest] + 0.003 * gradients[largest], .nan] {
            var tampered = after
            tampered.values[largest] = wrong
            let check = StepCheck(before: before, after: tampered, gradients: gradients, learningRate: 0.003)
            #expect(!check.holds && check.worst.index == largest)
        }
    }
}
