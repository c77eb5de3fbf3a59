import ArgumentParser
import CLKit
import CLTrain
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the lesson's training on a device: kernel times, launches per step, seconds per epoch.",
        discussion: "Kernel times are medians of profiled launches at the training shapes (OpenCL only). "
            + "The epoch figures come from whole training epochs; the first is a warm-up and is not counted."
    )

    @Option(help: "Epochs to time after the warm-up epoch.")
    var epochs = 2

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @OptionGroup var device: DeviceOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard (1...100).contains(epochs) else { throw ValidationError("--epochs must be between 1 and 100, got \(epochs)") }
    }

    func run() throws {
        let plan = TrainingPlan()
        let loaded = try data.request.load()
        let compute = try ComputeDevice.open(try device.selection(), cpu: device.cpu, profiling: true)
        var kernels: [KernelTiming] = []
        if case .openCL(let context) = compute {
            kernels = try KernelBenchmark(library: KernelLibrary(context: context), architecture: plan.architecture,
                                          batchSize: plan.batchSize).run()
        }
        let backend = try compute.backend(plan: plan, train: loaded.train, test: loaded.test)
        var launchesPerStep: Int?
        if case .openCL(let context) = compute {
            try backend.beginEpoch(order: (0..<Int32(loaded.train.count)).map { $0 })
            let before = context.launches
            try backend.trainStep(batch: 0, start: 0, count: min(plan.batchSize, loaded.train.count))
            launchesPerStep = context.launches - before
        }
        var generator = SeededGenerator(seed: plan.seed)
        try backend.load(Parameters(initializing: plan.architecture, using: &generator),
                         OptimizerState(fresh: plan.optimizer, parameterCount: plan.architecture.parameterCount))
        var timedPlan = plan
        timedPlan.epochs = epochs + 1
        let history = try Trainer(backend: backend, plan: timedPlan, trainCount: loaded.train.count,
                                  testLabels: loaded.test.labels, reporter: ProgressReporter(isTerminal: false, write: { _ in }))
            .run { _ in }
        let report = BenchReport(device: backend.description, data: loaded.source, kernels: kernels,
                                 launchesPerStep: launchesPerStep, epochs: Array(history.dropFirst()))
        print(json ? try report.json() : report.text())
    }
}
