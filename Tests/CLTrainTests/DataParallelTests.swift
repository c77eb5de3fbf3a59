import CLKit
import Testing
@testable import CLTrain

/// Data-parallel training in one process (`DataParallelBackend` over `SingleProcess`): replicas of either backend
/// on slices of every batch train as one backend does on the whole batch. Several ranks over MPI are checked by
/// `scripts/distributed`, with a real `mpirun`.
@Suite struct DataParallelTests {
    static let input = Shape.image(channels: 1, height: 5, width: 3)

    static func dataset(_ name: String, count: Int, using generator: inout SeededGenerator) -> Dataset {
        Dataset(name: name, images: (0..<(count * 15)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                labels: randomLabels(count, classes: 4, using: &generator), rows: 5, columns: 3, classes: 4)
    }

    static func plan(_ spec: String, batchSize: Int, optimizer: OptimizerConfig) throws -> TrainingPlan {
        var plan = TrainingPlan()
        plan.model = try Model(spec, input: input, classes: 4)
        (plan.batchSize, plan.epochs, plan.seed, plan.optimizer) = (batchSize, 2, 9, optimizer)
        plan.normalization = Normalization(mean: 0.4, std: 0.3)
        return plan
    }

    /// Two epochs from the same weights: the history and the final weights.
    static func train(_ backend: TrainingBackend, _ plan: TrainingPlan, _ train: Dataset, _ test: Dataset) throws
        -> (history: [EpochMetrics], parameters: Parameters) {
        try backend.start(plan)
        let history = try Trainer(backend: backend, plan: plan, trainCount: train.count, testLabels: test.labels,
                                  reporter: .silent()).run { _ in }
        return (history, try backend.snapshot().0)
    }

    @Test func slicesCoverEveryBatchInOrderAndDifferByAtMostOne() {
        for count in 0...70 {
            for replicas in 1...5 {
                let slices = (0..<replicas).map { DataParallelBackend.slice(count: count, replica: $0, of: replicas) }
                #expect(slices.first?.lowerBound == 0 && slices.last?.upperBound == count)
                #expect(zip(slices, slices.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                let sizes = slices.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1, "\(count) over \(replicas): \(sizes)")
            }
        }
    }

    /// Three replicas on the host, a batch of 7 (slices of 2, 2 and 3; the epoch's last batch of 5: 1, 2 and 2),
    /// with momentum and weight decay: the epochs' losses, test figures and weights are the single backend's up to
    /// the order in which the slices' gradients are summed. A replica weighted by anything but its share of the
    /// batch moves the losses by far more than the tolerance.
    @Test func hostReplicasTrainAsOneBackend() throws {
        var generator = seededGenerator()
        let (train, test) = (Self.dataset("train", count: 54, using: &generator), Self.dataset("test", count: 23, using: &generator))
        let plan = try Self.plan("flatten, linear(9), relu, linear(4)", batchSize: 7,
                                 optimizer: OptimizerConfig(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01))
        let single = try Self.train(ComputeDevice.host().backend(plan: plan, train: train, test: test), plan, train, test)
        let parallel = try DataParallelBackend.build(devices: [.host(), .host(), .host()], communicator: SingleProcess(),
                                                     plan: plan, train: train, test: test)
        #expect((parallel as? DataParallelBackend)?.replicaCount == 3)
        let replicated = try Self.train(parallel, plan, train, test)
        expectSameRun(replicated, single)
    }

    /// Two replicas on the same OpenCL device (two contexts), which go through the device-side exchange
    /// (`OpenCLBackend.accumulate` and `assign`), train as the device alone does.
    @Test func openCLReplicasTrainAsOneBackend() throws {
        var generator = seededGenerator()
        let (train, test) = (Self.dataset("train", count: 41, using: &generator), Self.dataset("test", count: 19, using: &generator))
        let plan = try Self.plan("flatten, linear(9), relu, linear(4)", batchSize: 9, optimizer: OptimizerConfig(learningRate: 0.1))
        let single = try Self.train(ComputeDevice.openCL(testContext()).backend(plan: plan, train: train, test: test), plan, train, test)
        let parallel = try DataParallelBackend.build(devices: [.openCL(testContext()), .openCL(testContext())],
                                                     communicator: SingleProcess(), plan: plan, train: train, test: test)
        expectSameRun(try Self.train(parallel, plan, train, test), single)
    }

    func expectSameRun(_ a: (history: [EpochMetrics], parameters: Parameters), _ b: (history: [EpochMetrics], parameters: Parameters),
                       sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(a.history.map(\.trainLoss), b.history.map(\.trainLoss), absolute: 1e-5, "train losses", sourceLocation: sourceLocation)
        expectClose(a.history.map(\.testLoss), b.history.map(\.testLoss), absolute: 1e-5, "test losses", sourceLocation: sourceLocation)
        #expect(a.history.map(\.testAccuracy) == b.history.map(\.testAccuracy), sourceLocation: sourceLocation)
        expectClose(a.parameters.values, b.parameters.values, absolute: 1e-5, relative: 1e-4, "parameters", sourceLocation: sourceLocation)
    }

    /// With batch norm, each replica normalizes its slice by the slice's own statistics (as PyTorch's
    /// DistributedDataParallel without SyncBatchNorm does) and the running statistics are averaged by the slices'
    /// shares: one step of two replicas on slices of 3 and 4 rows ends exactly where the share-weighted mean of two
    /// backends, each stepping on one slice alone, ends, parameters and running statistics alike (plain SGD is linear
    /// in the gradient).
    @Test func batchNormReplicasAverageTheirRunningStatistics() throws {
        var generator = seededGenerator()
        let (train, test) = (Self.dataset("train", count: 7, using: &generator), Self.dataset("test", count: 4, using: &generator))
        let plan = try Self.plan("flatten, linear(6), batchnorm1d, relu, linear(4)", batchSize: 7,
                                 optimizer: OptimizerConfig(learningRate: 0.2))
        let parameters = Parameters(initializing: plan.model, using: &generator)
        let state = OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount)
        let order = (0..<Int32(7)).shuffled(using: &generator)
        func step(_ backend: TrainingBackend, start: Int, count: Int) throws -> Parameters {
            try backend.load(parameters, state)
            try backend.beginEpoch(1, order: order)
            try backend.trainStep(batch: 0, start: start, count: count, learningRate: plan.optimizer.learningRate)
            return try backend.snapshot().0
        }
        let parallel = try step(DataParallelBackend.build(devices: [.host(), .host()], communicator: SingleProcess(), plan: plan,
                                                          train: train, test: test), start: 0, count: 7)
        let first = try step(NativeBackend(plan: plan, train: train, test: test), start: 0, count: 3)
        let second = try step(NativeBackend(plan: plan, train: train, test: test), start: 3, count: 4)
        func mean(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { (3 * $0 + 4 * $1) / 7 } }
        expectClose(parallel.values, mean(first.values, second.values), absolute: 1e-6, relative: 1e-5, "parameters")
        expectClose(parallel.buffers, mean(first.buffers, second.buffers), absolute: 1e-6, relative: 1e-5, "running statistics")
        #expect(parallel.buffers != parameters.buffers, "the step updated no running statistics")
    }

    /// A batch norm needs two rows per slice: a batch that leaves one to some replica is refused before training.
    @Test func sliceOfOneRowUnderBatchNormIsRefused() throws {
        var generator = seededGenerator()
        let (train, test) = (Self.dataset("train", count: 20, using: &generator), Self.dataset("test", count: 4, using: &generator))
        let plan = try Self.plan("flatten, linear(6), batchnorm1d, linear(4)", batchSize: 5, optimizer: OptimizerConfig(learningRate: 0.1))
        #expect(throws: DataParallelError.self) {
            try DataParallelBackend.build(devices: [.host(), .host(), .host()], communicator: SingleProcess(), plan: plan,
                                          train: train, test: test)
        }
        #expect(DataParallelBackend.sliceProblem(plan, trainCount: 20, replicas: 2) == nil)
        #expect(DataParallelBackend.sliceProblem(plan, trainCount: 21, replicas: 2)?.contains("a batch of 1 samples") == true)
    }

    /// Replicas whose weights differ stop the run after its first step and at each epoch's evaluation, naming the replica.
    @Test func replicasThatDifferStopTheRun() throws {
        var generator = seededGenerator()
        let (train, test) = (Self.dataset("train", count: 12, using: &generator), Self.dataset("test", count: 6, using: &generator))
        let plan = try Self.plan("flatten, linear(4)", batchSize: 4, optimizer: OptimizerConfig(learningRate: 0.1))
        let backend = try #require(try DataParallelBackend.build(devices: [.host(), .host()], communicator: SingleProcess(),
                                                                 plan: plan, train: train, test: test) as? DataParallelBackend)
        var parameters = Parameters(initializing: plan.model, using: &generator)
        let state = OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount)
        try backend.load(parameters, state)
        _ = try backend.evaluate()
        parameters.values[5] = parameters.values[5].nextUp
        try backend.replicas[1].load(parameters, state)
        #expect { _ = try backend.evaluate() } throws: { error in
            "\(error)".contains("replica 1")
        }
        let fresh = try #require(try DataParallelBackend.build(devices: [.host(), .host()], communicator: SingleProcess(),
                                                               plan: plan, train: train, test: test) as? DataParallelBackend)
        try fresh.load(parameters, state)
        try fresh.replicas[0].load(Parameters(initializing: plan.model, using: &generator), state)
        try fresh.beginEpoch(1, order: (0..<Int32(train.count)).map { $0 })
        #expect { try fresh.trainStep(batch: 0, start: 0, count: 4, learningRate: 0.1) } throws: { error in
            "\(error)".contains("after the first step") && "\(error)".contains("replica 1")
        }
    }

    @Test func launchersAreReadFromTheirEnvironmentVariables() {
        #expect(MPILaunch.detect([:]) == nil)
        #expect(MPILaunch.detect(["OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "3", "OMPI_COMM_WORLD_LOCAL_RANK": "0"])
                == MPILaunch(flavor: .openMPI, rank: 2, size: 3, localRank: 0))
        #expect(MPILaunch.detect(["PMI_RANK": "1", "PMI_SIZE": "4", "MPI_LOCALRANKID": "1"])
                == MPILaunch(flavor: .mpich, rank: 1, size: 4, localRank: 1))
        #expect(MPILaunch.detect(["PMI_RANK": "x", "PMI_SIZE": "4"]) == nil)
    }

    /// A launcher's environment without its library: a clear error naming what to install, before any training.
    @Test func missingLibraryIsNamed() {
        let launch = MPILaunch(flavor: .openMPI, rank: 0, size: 2, localRank: 0)
        #expect { _ = try MPIJob.start(launch, environment: ["CLTRAIN_MPI_LIBRARY": "/nonexistent/libmpi.so.40"]) } throws: { error in
            "\(error)".contains("/nonexistent/libmpi.so.40") && "\(error)".contains("apt-get install openmpi-bin")
        }
    }
}
