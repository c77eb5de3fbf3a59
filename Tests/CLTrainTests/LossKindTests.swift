import CLKit
import Foundation
import Testing
@testable import CLTrain

/// The training losses: each rule by hand, its gradient against central differences, and both backends' steps with
/// label smoothing against the reference.
@Suite struct LossKindTests {
    /// Two classes: logits (ln 3, 0) give softmax (0.75, 0.25). Label 1, ε = 0.2, so the target is (0.1, 0.9):
    /// loss = 0.8·(−ln 0.25) + 0.2·(−(ln 0.75 + ln 0.25)/2), dz = (0.75 − 0.1, 0.25 − 0.9) = (0.65, −0.65).
    @Test func labelSmoothingByHand() {
        let settings = LossConfig(labelSmoothing: 0.2)
        let (loss, dz) = Reference.lossForwardBackward([Float(log(3.0)), 0], labels: [1], classes: 2, settings: settings)
        let expected = 0.8 * -log(0.25) + 0.2 * -(log(0.75) + log(0.25)) / 2
        expectClose([loss], [expected], absolute: 1e-6, "loss")
        expectClose(dz, [0.65, -0.65] as [Float], absolute: 1e-6, "gradient")
    }

    /// Without smoothing the rule is the lesson's: log-softmax, then NLL, and its gradient, as their twins compute them.
    @Test func noSmoothingIsLogSoftmaxAndNLL() {
        var generator = seededGenerator()
        let (rows, classes) = (7, 10)
        let z = randomFloats(rows * classes, in: -20...20, using: &generator), labels = randomLabels(rows, classes: classes, using: &generator)
        let (loss, dz) = Reference.lossForwardBackward(z, labels: labels, classes: classes, settings: .lesson)
        let logp = Reference.logSoftmaxForward(z, rows: rows, classes: classes)
        expectClose([loss], [Reference.nllLoss(logProbabilities: logp, labels: labels, rows: rows, classes: classes)],
                    absolute: 1e-5, relative: 1e-6, "loss")
        expectClose(dz, Reference.nllLogSoftmaxBackward(logProbabilities: logp, labels: labels, rows: rows, classes: classes),
                    absolute: 1e-7, relative: 1e-5, "gradient")
    }

    /// The loss is smooth in the logits, so central differences (in Double, of the Float rule) hold to ~1e-4.
    @Test(arguments: [Float(0), 0.1, 0.5])
    func gradientMatchesFiniteDifferences(smoothing: Float) {
        var generator = seededGenerator("loss fd \(smoothing)")
        let (rows, classes) = (3, 5), settings = LossConfig(labelSmoothing: smoothing)
        let z = randomFloats(rows * classes, in: -3...3, using: &generator), labels = randomLabels(rows, classes: classes, using: &generator)
        let dz = Reference.lossForwardBackward(z, labels: labels, classes: classes, settings: settings).dz
        for index in z.indices {
            func loss(_ shift: Float) -> Double {
                var moved = z
                moved[index] += shift
                return Double(Reference.lossForwardBackward(moved, labels: labels, classes: classes, settings: settings).loss)
            }
            expectClose([(loss(1e-2) - loss(-1e-2)) / 2e-2], [dz[index]], absolute: 2e-4, relative: 1e-2, "dz[\(index)]")
        }
    }

    @Test func smoothingOutsideItsRangeIsRefused() {
        #expect(throws: InvalidSetting.self) { try LossConfig(labelSmoothing: 1.5).validated() }
        #expect(throws: InvalidSetting.self) { try LossConfig(labelSmoothing: .nan).validated() }
        #expect(throws: InvalidSetting.self) { try LossConfig(kind: "hinge").validated() }
    }

    /// Two steps with ε = 0.1 on each backend equal the reference's.
    @Test func backendsStepWithLabelSmoothingAsTheReferenceDoes() throws {
        var generator = seededGenerator()
        var plan = TrainingPlan()
        plan.model = try Model("flatten, linear(9), relu, linear(10)", input: .image(channels: 1, height: 5, width: 3))
        (plan.batchSize, plan.seed, plan.loss) = (7, 3, LossConfig(labelSmoothing: 0.1))
        plan.optimizer = OptimizerConfig(learningRate: 0.1)
        try expectBackendsStepAsTheReference(plan, rows: 5, columns: 3, using: &generator)
    }
}
