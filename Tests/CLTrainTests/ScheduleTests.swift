import CLTrain
import Foundation
import Testing

/// The schedules at the points PyTorch's formulas pin down, over a run of 10 epochs of 7 steps.
@Suite struct ScheduleTests {
    let perEpoch = 7, total = 70
    let base: Float = 0.1

    func rates(_ schedule: Schedule) -> [Float] {
        (0..<total).map { schedule.rate(step: $0, base: base, totalSteps: total, stepsPerEpoch: perEpoch) }
    }

    @Test func constantIsTheBase() {
        #expect(rates(.constant).allSatisfy { $0 == base })
    }

    /// CosineAnnealingLR(T_max = 70): the first update at the base, half way at half, and falling throughout.
    @Test func cosineAnnealsOverTheWholeRun() {
        let cosine = rates(Schedule(.cosine))
        #expect(cosine[0] == base)
        expectClose([cosine[35]], [base / 2], absolute: 1e-7, "half way")
        expectClose([cosine[69]], [base * (1 + Float(cos(Double.pi * 69 / 70))) / 2], absolute: 1e-8, "last step")
        #expect(zip(cosine, cosine.dropFirst()).allSatisfy { $0 > $1 })
        #expect(cosine[69] < base * 1e-3)
    }

    /// StepLR(step_size = 3 epochs, gamma = 0.5), counted in steps: the rate halves at steps 21, 42 and 63.
    @Test func stepDecaysEveryFewEpochs() {
        let step = rates(Schedule(.step(epochs: 3, gamma: 0.5)))
        #expect(step[20] == base && step[21] == base * 0.5 && step[41] == base * 0.5 && step[42] == base * 0.25)
        #expect(step[63] == base * 0.125)
    }

    /// OneCycleLR(max_lr = 0.1, total_steps = 70): from 0.1/25 at step 0 up to 0.1 at step 0.3·70 − 1 = 20,
    /// then down to 0.1/25/1e4 at the last step.
    @Test func onecycleRisesThenFalls() {
        let cycle = rates(Schedule(.onecycle))
        expectClose([cycle[0], cycle[20], cycle[69]], [base / 25, base, base / 25 / 1e4], absolute: 1e-9, "phase ends")
        #expect(zip(cycle[..<20], cycle[1...20]).allSatisfy { $0 < $1 })
        #expect(zip(cycle[20..<69], cycle[21...]).allSatisfy { $0 > $1 })
    }

    /// Warm-up scales the first steps by (k + 1)/warmup, then leaves the curve alone.
    @Test func warmupRampsTheFirstSteps() {
        let warm = rates(Schedule(.cosine, warmup: 4)), cold = rates(Schedule(.cosine))
        expectClose(Array(warm[..<4]), (0..<4).map { cold[$0] * Float($0 + 1) / 4 }, absolute: 1e-8, "ramp")
        #expect(Array(warm[4...]) == Array(cold[4...]))
    }

    @Test func parsingRoundTripsAndRefusesWithTheReason() throws {
        for text in ["constant", "cosine", "onecycle", "step:3:0.5"] {
            #expect(try Schedule(parsing: text).description == text)
        }
        for bad in ["cosin", "step", "step:0:0.5", "step:2:-1", "step:2:nan", "cosine:2", ""] {
            #expect(throws: InvalidSetting.self, "\(bad)") { try Schedule(parsing: bad) }
        }
        #expect(throws: InvalidSetting.self) { try Schedule(parsing: "cosine", warmup: -1) }
    }

    /// The plan numbers steps across epochs, the last short batch included.
    @Test func planCountsStepsAcrossEpochs() {
        var plan = TrainingPlan()
        (plan.epochs, plan.batchSize, plan.schedule) = (2, 64, Schedule(.cosine))
        plan.optimizer.learningRate = 0.2
        #expect(plan.stepsPerEpoch(count: 130) == 3)
        #expect(plan.learningRate(epoch: 1, batch: 0, count: 130) == 0.2)
        expectClose([plan.learningRate(epoch: 2, batch: 0, count: 130)], [0.1], absolute: 1e-7, "step 3 of 6")
    }
}
