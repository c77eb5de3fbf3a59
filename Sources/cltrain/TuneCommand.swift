import ArgumentParser
import CLKit
import CLTrain
import Foundation

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Find the fastest matmul, convolution and pooling configurations for a model's training on a device, and cache them.",
        discussion: "Times both kernel families at a shortlist of sizes, within the device's limits, at every matmul "
            + "shape one training step of the model launches; checks each winner against the CPU twin before keeping "
            + "it. Then times every build and a few work-groups of each convolution and pooling launch inside real "
            + "steps, and keeps a winner only where it passes its kind's checks and wins again in steps alternated "
            + "with the defaults. train, bench and selftest then use the winners on this device (--tuning off ignores them). "
            + "The cache is $XDG_CACHE_HOME/cltrain/tuning (default ~/.cache/cltrain/tuning).\n\n" + ModelOptions.syntax
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Seed for the random inputs of the checks (default: from the clock).")
    var seed: UInt64?

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var device: OpenCLDeviceOptions
    @OptionGroup var data: DataOptions

    func run() throws {
        let started = Date()
        guard let cache = TuningCache.user() else {
            throw CommandError("CLTRAIN_TUNING_CACHE=off leaves tune nowhere to keep its winners; unset it or name a folder")
        }
        var plan = TrainingPlan()
        let loaded = try data.request.load()
        plan.model = try modelOptions.build(for: loaded, batchSize: plan.batchSize)
        if modelOptions.printSummary(plan.model) { return }
        let context = try Context(device: try device.resolve(), profiling: true, programCache: .user())
        // The tuner trains real steps on a backend for the plan: it is held to the estimate as `train` is.
        let placement = try ComputeDevice.openCL(context).checkMemory(plan: plan, train: loaded.train, test: loaded.test)
        let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000) % 1_000_000
        let library = try KernelLibrary(context: context)
        let progress = ProgressLine()
        let (tuning, outcomes, gridOutcomes) = try Tuner.run(library: library, plan: plan, train: loaded.train, test: loaded.test,
                                               seed: seed, placement: placement, progress: { progress.show($0, detail: $1) })
        progress.clear()
        let key = TuningCache.key(device: context.device, configuration: .choose(for: context.device), sources: Kernels.sources)
        try cache.store(tuning, tuned: outcomes.map(\.shape), grids: gridOutcomes.map(\.shape), forKey: key)
        let report = TuneReport(device: context.device.name, model: plan.model.spec, seed: seed, cache: cache.path(forKey: key),
                                seconds: Date().timeIntervalSince(started), outcomes: outcomes, gridOutcomes: gridOutcomes,
                                timing: context.timing)
        print(json ? try report.reportJSON() : report.text())
    }
}

/// Progress on stderr: on a terminal one line that each message replaces; elsewhere a line per shape.
final class ProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1

    func show(_ message: String, detail: Bool) {
        if isTerminal {
            let width = max(20, terminalColumns(of: STDERR_FILENO) - 1)
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + String(message.prefix(width))).utf8))
        } else if !detail {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
    }

    func clear() {
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
