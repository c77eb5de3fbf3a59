import Foundation

/// Data-parallel training over replicas: the backends of this process (one per `--devices` entry) and, under
/// `mpirun`, those of every other rank. Each replica holds the whole model and optimizer state and computes the
/// gradient of its slice of every global batch; once per step the slices' gradients, weighted by their share of
/// the batch, are summed over the process's replicas in host memory and then over the ranks by one all-reduce of one
/// flat vector, and every replica applies the same update to the same sum. The result is the mean over the global
/// batch, as one device computes it (up to the order of the sums).
///
/// The layers' buffers (batch norm's running statistics) travel in the same vector, weighted alike: each replica's
/// running mean moves towards its slice's mean, so the weighted sum moves towards the global batch's, and the
/// replicas stay identical. The vector ends with the batch's loss, so every rank knows every loss without another
/// collective. After the run's first step and after every epoch, a checksum of the parameters and buffers is
/// compared across all replicas.
public final class DataParallelBackend: TrainingBackend {
    public let replicas: [ReplicaBackend]
    public let communicator: Communicator
    /// This process's first replica's place among the job's replicas, and the job's replica count.
    public let firstReplica: Int, replicaCount: Int
    private let model: Model
    private let testCount: Int
    /// The test samples each of this process's replicas evaluates.
    private let testRanges: [Range<Int>]
    /// The step's exchanged vector, laid out as `ReplicaBackend.accumulate` says.
    private let exchange: UnsafeMutableBufferPointer<Float>
    private var epoch = 0
    /// Whether the replicas were compared after the run's first step: devices that round differently part there,
    /// so a mix that cannot train together stops within a step instead of after an epoch.
    private var checkedFirstStep = false
    /// What the steps since the last `resetStatistics` cost.
    public private(set) var statistics = ExchangeStatistics()

    public func resetStatistics() { statistics = ExchangeStatistics() }

    /// - Parameters:
    ///   - replicas: this process's backends, each built for the same plan and training set, and for the test
    ///     samples `testRanges` gives it.
    ///   - replicaCounts: every rank's number of replicas, in rank order (`replicaCounts(local:communicator:)`).
    public init(replicas: [ReplicaBackend], replicaCounts: [Int], communicator: Communicator, model: Model, testCount: Int) {
        precondition(!replicas.isEmpty && replicaCounts[communicator.rank] == replicas.count)
        self.replicas = replicas
        self.communicator = communicator
        self.model = model
        self.testCount = testCount
        let (first, total) = (replicaCounts[..<communicator.rank].reduce(0, +), replicaCounts.reduce(0, +))
        (firstReplica, replicaCount) = (first, total)
        testRanges = replicas.indices.map { Self.slice(count: testCount, replica: first + $0, of: total) }
        exchange = .allocate(capacity: model.exchangeCount)
    }

    deinit { exchange.deallocate() }

    /// Every rank's number of replicas, in rank order: each rank says its own and one all-reduce adds them up.
    public static func replicaCounts(local: Int, communicator: Communicator) throws -> [Int] {
        var counts = [Double](repeating: 0, count: communicator.size)
        counts[communicator.rank] = Double(local)
        return try communicator.sum(counts).map { Int($0) }
    }

    /// Replica `replica`'s rows of `count`: contiguous slices whose sizes differ by at most one.
    public static func slice(count: Int, replica: Int, of replicas: Int) -> Range<Int> {
        (replica * count / replicas)..<((replica + 1) * count / replicas)
    }

    public var description: String {
        let devices = replicas.map(\.description)
        let local = Set(devices).count == 1 ? "\(devices.count) × \(devices[0])" : devices.joined(separator: ", ")
        return communicator.size == 1 ? "\(local), data-parallel"
            : "\(local) on rank \(communicator.rank) of \(communicator.size), \(replicaCount) replicas in all"
    }

    public var optimizer: OptimizerConfig { replicas[0].optimizer }

    public func load(_ parameters: Parameters, _ state: OptimizerState) throws {
        for replica in replicas { try replica.load(parameters, state) }
    }

    public func snapshot() throws -> (Parameters, OptimizerState) { try replicas[0].snapshot() }

    public func beginEpoch(_ epoch: Int, order: [Int32]) throws {
        self.epoch = epoch
        for replica in replicas { try replica.beginEpoch(epoch, order: order) }
    }

    public func trainStep(batch: Int, start: Int, count: Int, learningRate: Float) throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let slices = replicas.indices.map { Self.slice(count: count, replica: firstReplica + $0, of: replicaCount) }
        // Every replica's work is queued before any is waited for, so the devices compute at the same time.
        for (replica, slice) in zip(replicas, slices) {
            try replica.computeGradients(batch: batch, start: start + slice.lowerBound, count: slice.count)
        }
        exchange.initialize(repeating: 0)
        for (replica, slice) in zip(replicas, slices) where !slice.isEmpty {
            try replica.accumulate(into: exchange, weight: Float(slice.count) / Float(count), batch: batch)
        }
        let computed = DispatchTime.now().uptimeNanoseconds
        try communicator.sum(exchange)
        let reduced = DispatchTime.now().uptimeNanoseconds
        for replica in replicas {
            try replica.assign(from: UnsafeBufferPointer(exchange), batch: batch)
            try replica.applyUpdate(learningRate: learningRate)
        }
        statistics.record(compute: computed - started, allReduce: reduced - computed,
                          update: DispatchTime.now().uptimeNanoseconds - reduced, bytes: exchange.count * MemoryLayout<Float>.stride)
        if !checkedFirstStep {
            checkedFirstStep = true
            try checkReplicas(when: "after the first step")
        }
    }

    /// Every replica holds every batch's summed loss (`assign`), so the first one answers.
    public func requestLosses(count: Int) throws { try replicas[0].requestLosses(count: count) }
    public func receiveLosses() throws -> [Float] { try replicas[0].receiveLosses() }

    /// Checks that the replicas still agree, then evaluates each replica's share of the test set and gathers them.
    public func evaluate() throws -> Evaluation {
        try checkReplicas(when: "after epoch \(epoch)")
        // [loss summed over samples, then every sample's prediction], each replica filling its own range.
        var gathered = [Double](repeating: 0, count: 1 + testCount)
        for (replica, range) in zip(replicas, testRanges) where !range.isEmpty {
            let evaluation = try replica.evaluate()
            gathered[0] += evaluation.loss * Double(range.count)
            for (i, predicted) in evaluation.predictions.enumerated() { gathered[1 + range.lowerBound + i] = Double(predicted) }
        }
        gathered = try communicator.sum(gathered)
        return Evaluation(loss: gathered[0] / Double(max(testCount, 1)), predictions: gathered[1...].map { UInt8($0) })
    }

    /// Stops training where any replica's parameters or buffers differ from the others' in any bit: the replicas
    /// apply the same update to the same sum, so a difference means a device computed something else.
    private func checkReplicas(when: String) throws {
        let local = try replicas.map { try ReplicaChecksum($0.snapshot().0) }
        if let odd = local.firstIndex(where: { $0 != local[0] }) {
            throw DataParallelError.replicasDiffer(when: when, detail: "\(replicas[odd].description) (replica \(firstReplica + odd)) "
                + "differs from \(replicas[0].description) (replica \(firstReplica))")
        }
        // The largest checksum and the negated smallest one, in one all-reduce.
        var extremes = [local[0].value, -local[0].value]
        try extremes.withUnsafeMutableBufferPointer { try communicator.maximum($0) }
        if extremes[0] != -extremes[1] {
            throw DataParallelError.replicasDiffer(when: when, detail: "the ranks' replicas hold different parameters "
                + "(checksums from \(-extremes[1]) to \(extremes[0]))")
        }
    }
}

/// What the steps of a run cost, in three phases: compute, from queuing a step until every local replica's
/// gradients are in host memory and summed; all-reduce, the sum over the ranks (nothing where one process trains);
/// update, writing the sum back to every replica and queuing its update. The scaling model in the README is built
/// from these figures.
public struct ExchangeStatistics: Sendable {
    public private(set) var steps = 0
    public private(set) var computeSeconds = 0.0
    public private(set) var allReduceSeconds = 0.0
    public private(set) var updateSeconds = 0.0
    /// Bytes each rank sends into one all-reduce.
    public private(set) var bytesPerStep = 0

    public var computeSecondsPerStep: Double { computeSeconds / Double(max(steps, 1)) }
    public var allReduceSecondsPerStep: Double { allReduceSeconds / Double(max(steps, 1)) }
    public var updateSecondsPerStep: Double { updateSeconds / Double(max(steps, 1)) }

    public init() {}

    mutating func record(compute: UInt64, allReduce: UInt64, update: UInt64, bytes: Int) {
        steps += 1
        computeSeconds += Double(compute) * 1e-9
        allReduceSeconds += Double(allReduce) * 1e-9
        updateSeconds += Double(update) * 1e-9
        bytesPerStep = bytes
    }
}

/// A 53-bit hash of the parameters' and buffers' bits: exact in a Double, so ranks can compare it by all-reduce.
struct ReplicaChecksum: Equatable {
    let value: Double

    init(_ parameters: Parameters) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for value in parameters.values + parameters.buffers {
            hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
        }
        value = Double(hash >> 11)
    }
}

public enum DataParallelError: Error, CustomStringConvertible {
    /// `when`: where the replicas were compared, e.g. "after epoch 2".
    case replicasDiffer(when: String, detail: String)
    case slicesTooSmall(String)

    public var description: String {
        switch self {
        case .replicasDiffer(let when, let detail):
            return "the replicas no longer agree \(when): \(detail); devices that round differently "
                + "(another vendor's compiler) cannot train as replicas of one run, so choose devices of one kind"
        case .slicesTooSmall(let problem):
            return problem
        }
    }
}
