import ArgumentParser
import CLKit
import Dispatch
import CLTrain
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a model's training on a device: kernel times, launches per step, seconds per epoch.",
        discussion: "Kernel times are medians of the profiled launches of real training steps (OpenCL only). "
            + "A step is also timed queued launch by launch, as training runs it, and, where the device has "
            + "cl_khr_command_buffer, recorded once and replayed. "
            + "The epoch figures come from whole training epochs; the first is a warm-up and is not counted.\n\n"
            + ModelOptions.syntax
    )

    @Option(parsing: .unconditional, help: "Epochs to time after the warm-up epoch.")
    var epochs = 2

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Flag(help: "Time the kernels of a step only, not epochs: for a slow device.")
    var kernelsOnly = false

    @Flag(help: "Time one epoch on the chosen OpenCL device and one with --cpu, and say which is faster here.")
    var compare = false

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var device: DeviceOptions
    @OptionGroup var replicas: DevicesOption
    @OptionGroup var data: DataOptions
    @OptionGroup var tuning: TuningOptions
    @OptionGroup var stepPath: StepPathOption

    func validate() throws {
        guard (1...100).contains(epochs) else { throw ValidationError("--epochs must be between 1 and 100, got \(epochs)") }
        if compare && (device.cpu || kernelsOnly) {
            throw ValidationError("--compare times the OpenCL device against --cpu itself; leave out \(device.cpu ? "--cpu" : "--kernels-only")")
        }
        if replicas.devices != nil && (compare || kernelsOnly) {
            throw ValidationError("--devices times data-parallel epochs; leave out \(compare ? "--compare" : "--kernels-only")")
        }
        try replicas.validate(with: device)
    }

    func run() throws {
        try MPIJob.run { try bench(job: $0) }
    }

    /// The bench, as rank `job.rank` of an MPI job or alone; rank 0 alone prints.
    private func bench(job: MPIJob?) throws {
        let communicator: Communicator = job ?? SingleProcess()
        let show: (String) -> Void = communicator.rank == 0 ? { print($0) } : { _ in }
        var plan = TrainingPlan()
        // A preset is timed with its recipe (resnet8: batch 128, SGD with Nesterov momentum), as `train` runs it.
        if let recipe = modelOptions.model.flatMap(ModelSpec.recipe) {
            (plan.optimizer, plan.batchSize, plan.schedule) = (recipe.optimizer, recipe.batchSize, recipe.schedule)
        }
        let loaded = try data.request.load()
        plan.model = try modelOptions.build(for: loaded, batchSize: plan.batchSize)
        if modelOptions.printSummary(plan.model) { return }
        if compare {
            try compareDevices(plan: plan, data: loaded)
            return
        }
        if replicas.devices != nil || communicator.size > 1 {
            try benchReplicas(plan: plan, data: loaded, communicator: communicator, localRank: job?.launch.localRank ?? 0, show: show)
            return
        }
        // Training runs as `train` runs it, without profiling; the kernel timings get a profiling queue of their own.
        let compute = try device.open()
        // The kernel timings build a backend of their own before the epochs' one: both are checked here first.
        let placement = try compute.checkMemory(plan: plan, train: loaded.train, test: loaded.test)
        let runTuning = tuning.load(for: compute)
        var kernels: [KernelTiming] = []
        if case .openCL(let context) = compute {
            kernels = try KernelBenchmark.run(context: context, plan: plan, train: loaded.train, test: loaded.test,
                                              tuning: runTuning?.tuning ?? Tuning(), placement: placement)
        }
        if kernelsOnly {
            let report = BenchReport(device: compute.description, data: loaded.source, kernels: kernels, launchesPerStep: nil,
                                     hostSecondsPerStep: nil, epochs: [], tuning: runTuning?.summary)
            print(json ? try report.reportJSON() : report.text())
            return
        }
        let backend = try compute.backend(plan: plan, train: loaded.train, test: loaded.test, tuning: runTuning?.tuning ?? Tuning(),
                                          stepPath: stepPath.stepPath)
        var launchesPerStep: Int?, hostSecondsPerStep: Double?, stepPaths: StepPaths?
        if case .openCL(let context) = compute {
            // What one step costs the host to queue: on a GPU, where launches dominate, this bounds the epoch.
            let steps = min(100, loaded.train.count / plan.batchSize)
            try backend.beginEpoch(order: (0..<Int32(loaded.train.count)).map { $0 })
            let before = context.launches, started = DispatchTime.now().uptimeNanoseconds
            for step in 0..<max(steps, 1) {
                try backend.trainStep(batch: step, start: step * plan.batchSize, count: min(plan.batchSize, loaded.train.count))
            }
            hostSecondsPerStep = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9 / Double(max(steps, 1))
            launchesPerStep = (context.launches - before) / max(steps, 1)
            try context.finish()
            if let backend = backend as? OpenCLBackend {
                stepPaths = try StepPaths.measure(backend, rows: min(plan.batchSize, loaded.train.count), steps: max(steps, 1))
            }
        }
        let epochs = try timeEpochs(backend, plan: plan, data: loaded)
        let report = BenchReport(device: backend.description, data: loaded.source, kernels: kernels,
                                 launchesPerStep: launchesPerStep, hostSecondsPerStep: hostSecondsPerStep,
                                 epochs: epochs, tuning: runTuning?.summary,
                                 streaming: try (backend as? OpenCLBackend)?.streamStatistics(), stepPaths: stepPaths)
        print(json ? try report.reportJSON() : report.text())
    }

    /// Data-parallel epochs (`--devices`, or a rank of `mpirun`): what a step spends computing, all-reducing and
    /// updating, without kernel timings, which the other replicas' work would disturb.
    private func benchReplicas(plan: TrainingPlan, data: LoadedData, communicator: Communicator, localRank: Int,
                               show: (String) -> Void) throws {
        let computes = try replicas.open(device, localRank: localRank)
        let backend = try DataParallelBackend.build(devices: computes, communicator: communicator, plan: plan, train: data.train,
                                                    test: data.test, tuning: { tuning.load(for: $0)?.tuning ?? Tuning() },
                                                    stepPath: stepPath.stepPath)
        let epochs = try timeEpochs(backend, plan: plan, data: data) { (backend as? DataParallelBackend)?.resetStatistics() }
        let report = BenchReport(device: backend.description, data: data.source, kernels: [], launchesPerStep: nil,
                                 hostSecondsPerStep: nil, epochs: epochs,
                                 exchange: (backend as? DataParallelBackend)?.statistics)
        show(json ? try report.reportJSON() : report.text())
    }

    /// `--epochs` epochs after a warm-up one, from freshly drawn weights; `warmedUp` runs after the warm-up.
    private func timeEpochs(_ backend: TrainingBackend, plan: TrainingPlan, data: LoadedData,
                            warmedUp: () -> Void = {}) throws -> [EpochMetrics] {
        try backend.start(plan)
        var timedPlan = plan
        timedPlan.epochs = epochs + 1
        let history = try Trainer(backend: backend, plan: timedPlan, trainCount: data.train.count,
                                  testLabels: data.test.labels, reporter: .silent())
            .run { if $0.epoch == 1 { warmedUp() } }
        return Array(history.dropFirst())
    }

    /// `--compare`: one epoch on the OpenCL device, then one on the host, from the same weights, and the verdict.
    private func compareDevices(plan: TrainingPlan, data: LoadedData) throws {
        var timings: [(device: String, epoch: EpochMetrics)] = []
        for compute in [try device.open(), try ComputeDevice.host()] {
            let backend = try compute.backend(plan: plan, train: data.train, test: data.test,
                                              tuning: tuning.load(for: compute)?.tuning ?? Tuning())
            try backend.start(plan)
            var onePass = plan
            onePass.epochs = 1
            let history = try Trainer(backend: backend, plan: onePass, trainCount: data.train.count, testLabels: data.test.labels,
                                      reporter: .silent()).run { _ in }
            timings.append((compute.description, history[0]))
        }
        let report = DeviceComparison(data: data.source, model: plan.model.spec,
                                      devices: timings.map { .init(device: $0.device, seconds: $0.epoch.seconds, samplesPerSecond: $0.epoch.samplesPerSecond) })
        print(json ? try report.reportJSON() : report.text())
    }
}
