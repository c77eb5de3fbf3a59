extension DataParallelBackend {
    /// The backend of a run on `devices` (this process's) and on the ranks of `communicator`: the one device's own
    /// backend where it is the job's only replica, else one replica per device joined by a `DataParallelBackend`.
    /// Every replica holds the whole training set and evaluates its own share of the test set. `tuning` gives each
    /// device its kernels' configurations. A replayed step (`stepPath`) is the lone device's only: replicas exchange
    /// their gradients between a step's launches.
    public static func build(devices: [ComputeDevice], communicator: Communicator, plan: TrainingPlan, train: Dataset,
                             test: Dataset, tuning: (ComputeDevice) -> Tuning = { _ in Tuning() },
                             stepPath: StepPath = .queue) throws -> TrainingBackend {
        let counts = try replicaCounts(local: devices.count, communicator: communicator)
        let total = counts.reduce(0, +)
        if total == 1 {
            return try devices[0].backend(plan: plan, train: train, test: test, tuning: tuning(devices[0]), stepPath: stepPath)
        }
        if stepPath == .replay {
            throw OpenCLBackendError.noReplay("\(total) replicas exchange gradients in the middle of each step")
        }
        if let problem = sliceProblem(plan, trainCount: train.count, replicas: total) {
            throw DataParallelError.slicesTooSmall(problem)
        }
        let first = counts[..<communicator.rank].reduce(0, +)
        let replicas = try devices.enumerated().map { index, device in
            let range = slice(count: test.count, replica: first + index, of: total)
            return try device.backend(plan: plan, train: train, test: test.samples(range), tuning: tuning(device))
        }
        return DataParallelBackend(replicas: replicas, replicaCounts: counts, communicator: communicator, model: plan.model,
                                   testCount: test.count)
    }

    /// Why the slices of some batch are too small for the model (a batch norm needs two rows per slice), or nil.
    static func sliceProblem(_ plan: TrainingPlan, trainCount: Int, replicas: Int) -> String? {
        let last = trainCount % plan.batchSize
        for rows in [plan.batchSize] + (last == 0 ? [] : [last]) {
            let smallest = max(rows / replicas, 1)
            if let problem = plan.model.trainingBatchProblem(rows: smallest) {
                return "a batch of \(rows) samples split over \(replicas) replicas leaves \(smallest) per replica: \(problem); "
                    + "choose a larger --batch-size or fewer replicas"
            }
        }
        return nil
    }
}
