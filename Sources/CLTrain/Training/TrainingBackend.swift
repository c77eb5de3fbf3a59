/// What the training loop needs from a device. The loop never sees buffers, kernels or BLAS calls:
/// the OpenCL backend and the native CPU backend both implement exactly this.
///
/// A backend is made for one training plan (model, optimizer, normalization, largest batch, seed) and pair of datasets,
/// and allocates everything it needs up front: nothing in `trainStep` allocates or compiles.
public protocol TrainingBackend: AnyObject, CustomStringConvertible {
    /// Shown in the run's header, e.g. "OpenCL pthread-skylake-avx512 (PoCL)".
    var description: String { get }

    /// The optimizer's settings; its learning rate is the base the schedule scales.
    var optimizer: OptimizerConfig { get }

    /// Replaces the parameters and the optimizer's state.
    func load(_ parameters: Parameters, _ state: OptimizerState) throws

    /// Waits for queued work, then returns the parameters and the optimizer's state.
    func snapshot() throws -> (Parameters, OptimizerState)

    /// Starts epoch `epoch` (1-based; it keys the plan's augmentation), which visits the training set in `order`,
    /// a permutation of its indices.
    func beginEpoch(_ epoch: Int, order: [Int32]) throws

    /// Queues one forward + backward + update step on samples `order[start ..< start + count]` and records
    /// its mean loss as batch number `batch` of this epoch, updating at `learningRate` (the schedule's rate for
    /// this step). Returns at once where the device is asynchronous.
    func trainStep(batch: Int, start: Int, count: Int, learningRate: Float) throws

    /// Starts copying the losses of this epoch's first `count` batches (all of them queued) to the host and
    /// returns at once where the device is asynchronous, so steps queued after it keep the device busy.
    func requestLosses(count: Int) throws

    /// Waits for the copy the last `requestLosses` started and returns those losses.
    func receiveLosses() throws -> [Float]

    /// The test set's mean loss and every sample's predicted class.
    func evaluate() throws -> Evaluation
}

extension TrainingBackend {
    /// A step at the optimizer's base rate, for callers with no schedule (bench, tune, tests).
    public func trainStep(batch: Int, start: Int, count: Int) throws {
        try trainStep(batch: batch, start: start, count: count, learningRate: optimizer.learningRate)
    }

    /// Loads the initial parameters a new run of `plan` draws (from its seed) and a fresh optimizer state.
    public func start(_ plan: TrainingPlan) throws {
        var generator = SeededGenerator(seed: plan.seed)
        try load(Parameters(initializing: plan.model, using: &generator),
                 OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount))
    }

    /// Waits until the first `count` batches of this epoch have finished and returns their losses.
    public func losses(count: Int) throws -> [Float] {
        try requestLosses(count: count)
        return try receiveLosses()
    }
}

/// The result of running the model over the test set.
public struct Evaluation: Sendable {
    /// Mean negative log-likelihood over all samples.
    public let loss: Double
    /// The predicted class of each sample, in dataset order.
    public let predictions: [UInt8]

    public init(loss: Double, predictions: [UInt8]) {
        self.loss = loss
        self.predictions = predictions
    }

    public func accuracy(labels: [UInt8]) -> Double {
        Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
    }

    /// `matrix[truth][predicted]` counts.
    public func confusion(labels: [UInt8], classes: Int) -> [[Int]] {
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (p, t) in zip(predictions, labels) { matrix[Int(t)][Int(p)] += 1 }
        return matrix
    }
}

extension TrainingBackend {
    /// An epoch whose number does not matter: for measurements and tests without augmentation.
    public func beginEpoch(order: [Int32]) throws { try beginEpoch(0, order: order) }
}
