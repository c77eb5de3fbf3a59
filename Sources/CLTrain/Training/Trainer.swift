import Foundation

/// What a run trains and how: the lesson's defaults unless the user says otherwise.
public struct TrainingPlan: Sendable {
    public var model: Model = .lesson()
    public var optimizer: OptimizerConfig = .lesson
    public var schedule: Schedule = .constant
    public var loss: LossConfig = .lesson
    public var normalization: Normalization = .lesson
    /// Random crops and flips of the training batches (`--augment`); never applied in evaluation.
    public var augmentation: Augmentation = .none
    public var epochs = 5
    public var batchSize = 64
    public var seed: UInt64 = 0

    public init() {}

    /// Updates in one epoch over `count` samples: the last batch may be short.
    public func stepsPerEpoch(count: Int) -> Int { (count + batchSize - 1) / batchSize }

    /// Why some batch of an epoch over `count` samples cannot train the model (a batch norm cannot normalize one
    /// value per channel, so neither a batch size of 1 nor a last batch of 1 sample can), or nil.
    public func batchProblem(count: Int) -> String? {
        let last = count % batchSize
        for rows in [batchSize] + (last == 0 ? [] : [last]) {
            if let problem = model.trainingBatchProblem(rows: rows) {
                return rows == batchSize ? "--batch-size \(batchSize): \(problem)"
                    : "the last batch of an epoch holds \(rows) of the \(count) training samples with --batch-size \(batchSize): \(problem); "
                        + "choose another batch size"
            }
        }
        return nil
    }

    /// The learning rate of batch `batch` (0-based) of epoch `epoch` (1-based), on the schedule over the whole run.
    public func learningRate(epoch: Int, batch: Int, count: Int) -> Float {
        let perEpoch = stepsPerEpoch(count: count)
        return schedule.rate(step: (epoch - 1) * perEpoch + batch, base: optimizer.learningRate,
                             totalSteps: epochs * perEpoch, stepsPerEpoch: perEpoch)
    }

    /// The order of epoch `epoch` (1-based): a permutation drawn from the seed and the epoch number alone,
    /// so a resumed run visits the data exactly as the uninterrupted one would have.
    public func order(epoch: Int, count: Int) -> [Int32] {
        var generator = SeededGenerator(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15))
        return (0..<Int32(count)).shuffled(using: &generator)
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    /// SIGINT or SIGTERM (`signal`) arrived during epoch `epoch`; the batches queued before it were abandoned.
    case interrupted(epoch: Int, signal: Int32)
    /// `first` is the run's first batch loss, where the loss is finite but has exploded past `explosionFactor` times it.
    case diverged(epoch: Int, batch: Int, loss: Float, first: Float?, learningRate: Float)

    /// How far past the run's first batch loss a loss counts as exploded: a cross-entropy that grows 10⁴-fold has
    /// left training behind (the lesson starts at 2.3 and only falls; a diverging `--lr 1000` reaches 1e19).
    public static let explosionFactor: Float = 10_000

    public var description: String {
        switch self {
        case .diverged(let epoch, let batch, let loss, let first, let learningRate):
            let value = loss.isNaN ? "NaN" : loss.isInfinite ? (loss > 0 ? "infinite" : "-infinite")
                : String(format: "%.3g, over %.0f× the first batch's %.4g", loss, Self.explosionFactor, first ?? .nan)
            return "training diverged: the loss of epoch \(epoch), batch \(batch) is \(value); "
                + "lower the learning rate (--lr is \(learningRate)) and start again"
        case .interrupted(let epoch, let signal):
            return "interrupted (\(signal == SIGTERM ? "SIGTERM" : "Ctrl-C")) in epoch \(epoch)"
        }
    }
}

/// The training loop, the same for every backend: epochs of shuffled batches, the loss watched as it
/// comes, an evaluation after each epoch. It waits for the device only to report progress, a few
/// times a second, and at the end of an epoch.
public final class Trainer {
    public let backend: TrainingBackend
    public let plan: TrainingPlan
    private let trainCount: Int
    private let testLabels: [UInt8]
    private let reporter: ProgressReporter
    /// How long the device may run ahead of the progress display.
    private let reportInterval: Double
    /// The loss of this run's first batch, once read.
    private var firstLoss: Float?

    public init(backend: TrainingBackend, plan: TrainingPlan, trainCount: Int, testLabels: [UInt8],
                reporter: ProgressReporter, reportInterval: Double = 0.25) {
        self.backend = backend
        self.plan = plan
        self.trainCount = trainCount
        self.testLabels = testLabels
        self.reporter = reporter
        self.reportInterval = reportInterval
    }

    /// Trains epochs `first...last` of the plan's run (`last` before `plan.epochs` stops it early, the schedule
    /// still spanning the whole run), calling `epochEnded` after each (to save a checkpoint, log metrics).
    @discardableResult
    public func run(from first: Int = 1, through last: Int? = nil,
                    epochEnded: (EpochMetrics) throws -> Void) throws -> [EpochMetrics] {
        var history: [EpochMetrics] = []
        let last = min(last ?? plan.epochs, plan.epochs)
        guard first <= last else { return history }
        for epoch in first...last {
            let metrics = try trainEpoch(epoch)
            history.append(metrics)
            try epochEnded(metrics)
        }
        return history
    }

    private func trainEpoch(_ epoch: Int) throws -> EpochMetrics {
        let batchSize = plan.batchSize
        let batches = plan.stepsPerEpoch(count: trainCount)
        let started = Date()
        try backend.beginEpoch(epoch, order: plan.order(epoch: epoch, count: trainCount))
        reporter.begin(epoch: epoch, of: plan.epochs, batches: batches)

        var queued = 0, requested = 0
        var losses: [Float] = []
        var perReport = 8  // batches queued between looks at the losses; adapted to the device's speed
        func queueBatches() throws {
            let until = min(batches, queued + perReport)
            for batch in queued..<until {
                let start = batch * batchSize
                try backend.trainStep(batch: batch, start: start, count: min(batchSize, trainCount - start),
                                      learningRate: plan.learningRate(epoch: epoch, batch: batch, count: trainCount))
            }
            queued = until
        }
        try queueBatches()
        try backend.requestLosses(count: queued)
        requested = queued
        while true {
            if let signal = Interruption.requested {
                reporter.abandon()
                throw TrainingError.interrupted(epoch: epoch, signal: signal)
            }
            // The next batches are queued before waiting for the last ones' losses, so the device never
            // idles while the host looks at them.
            if queued < batches { try queueBatches() }
            let checked = losses.count
            losses = try backend.receiveLosses()
            // The run's first loss is the scale an exploding one is measured against.
            if firstLoss == nil, let loss = losses.first, loss.isFinite { firstLoss = loss }
            // At least 1: a resumed, well-fitted model may start near zero, and a cross-entropy of 10⁴ is divergence anyway.
            let limit = (firstLoss.map { max(abs($0), 1) } ?? .infinity) * TrainingError.explosionFactor
            if let bad = losses[checked...].firstIndex(where: { !$0.isFinite || abs($0) > limit }) {
                throw TrainingError.diverged(epoch: epoch, batch: bad + 1, loss: losses[bad], first: firstLoss,
                                             learningRate: plan.learningRate(epoch: epoch, batch: bad, count: trainCount))
            }
            let elapsed = Date().timeIntervalSince(started)
            let samples = min(requested * batchSize, trainCount)
            reporter.update(batchesDone: requested, runningLoss: mean(losses), samplesPerSecond: Double(samples) / elapsed,
                            learningRate: plan.schedule == .constant ? nil
                                : plan.learningRate(epoch: epoch, batch: requested - 1, count: trainCount))
            if requested == batches { break }
            perReport = max(1, min(batches, Int(reportInterval * Double(requested) / max(elapsed, 1e-6))))
            try backend.requestLosses(count: queued)
            requested = queued
        }
        let trainSeconds = Date().timeIntervalSince(started)
        let evaluation = try backend.evaluate()
        let metrics = EpochMetrics(
            epoch: epoch, trainLoss: mean(losses), testLoss: evaluation.loss,
            testAccuracy: evaluation.accuracy(labels: testLabels), seconds: Date().timeIntervalSince(started),
            samplesPerSecond: Double(trainCount) / trainSeconds,
            learningRate: Double(plan.learningRate(epoch: epoch, batch: batches - 1, count: trainCount)))
        // The rate is shown only where it moves, so the lesson's line stays as it was.
        let rate = plan.schedule == .constant ? "" : String(format: "  lr %.3g", metrics.learningRate ?? .nan)
        reporter.end(summary: String(
            format: "epoch %d/%d  train loss %.4f  test loss %.4f  test accuracy %.4f%@  %.2f s",
            epoch, plan.epochs, metrics.trainLoss, metrics.testLoss, metrics.testAccuracy, rate, metrics.seconds))
        return metrics
    }

    /// The lesson's training loss: the mean of the batch losses.
    private func mean(_ values: [Float]) -> Double {
        values.reduce(0.0) { $0 + Double($1) } / Double(max(values.count, 1))
    }
}
