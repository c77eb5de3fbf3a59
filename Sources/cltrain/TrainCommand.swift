import ArgumentParser
import CLTrain
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the network (by default the lesson's: 784-128-64-10, SGD lr 0.003, batch 64, 5 epochs).",
        discussion: "Fetches MNIST first when no data is named and none is cached."
    )

    @Option(parsing: .unconditional, help: "Passes over the training set (in all, when resuming).")
    var epochs = 5

    @Option(parsing: .unconditional, help: "Samples per training step.")
    var batchSize = 64

    // The optimizer, architecture and seed options are optional so that --resume can tell an explicit value
    // (which must agree with the checkpoint) from the lesson's default.
    @Option(parsing: .unconditional, help: "Learning rate. (default: 0.003)")
    var lr: Float?

    @Option(parsing: .unconditional, help: "SGD momentum, in [0, 1). (default: 0)")
    var momentum: Float?

    @Option(parsing: .unconditional, help: "L2 weight decay added to the gradient. (default: 0)")
    var weightDecay: Float?

    @Option(help: "sgd or adam. (default: sgd)")
    var optimizer: OptimizerConfig.Kind?

    @Option(help: ArgumentHelp("Hidden layer widths, comma-separated. (default: 128,64)", valueName: "widths"))
    var hidden: String?

    @Option(parsing: .unconditional, help: "Seed for initialization and shuffling; the same seed on the same device repeats a run exactly. (default: 0)")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Save a checkpoint (safetensors) here after every epoch.", valueName: "file"))
    var save: String?

    @Option(help: ArgumentHelp("Continue from this checkpoint, optimizer state included; saves back to it unless --save.",
                               valueName: "file"))
    var resume: String?

    @Option(help: ArgumentHelp("Write one JSON object per epoch to this file.", valueName: "file"))
    var metrics: String?

    @Option(help: ArgumentHelp("Draw the loss and accuracy curves into this SVG file.", valueName: "file"))
    var plot: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Exit with status 1 if the final test accuracy is below this fraction.", valueName: "fraction"))
    var targetAccuracy: Double?

    @OptionGroup var device: DeviceOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard (1...100_000).contains(epochs) else { throw ValidationError("--epochs must be between 1 and 100000, got \(epochs)") }
        guard (1...65_536).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 65536, got \(batchSize)")
        }
        do { _ = try optimizerConfig.validated() } catch {
            throw ValidationError("\(error.option) must be \(error.expected), got \(error.value)")
        }
        if resume != nil && (hidden != nil || optimizer != nil || lr != nil || momentum != nil || weightDecay != nil || seed != nil) {
            throw ValidationError("--resume continues with the checkpoint's --hidden, --optimizer, --lr, --momentum, "
                + "--weight-decay and --seed; leave them out, or start a new run without --resume")
        }
        let architecture = Architecture(hidden: try hiddenWidths())
        // Kernels index with 32-bit ints: every buffer (the parameters, a batch of activations) must stay below 2^31.
        guard architecture.parameterCount < Int(Int32.max) else {
            throw ValidationError("--hidden \(hiddenText) makes \(architecture.parameterCount) parameters; the limit is \(Int32.max)")
        }
        guard batchSize * architecture.sizes.max()! < Int(Int32.max) else {
            throw ValidationError("--batch-size \(batchSize) with --hidden \(hiddenText) makes activations of more than 2^31 values; use smaller ones")
        }
        if let targetAccuracy, !(0...1).contains(targetAccuracy) {
            throw ValidationError("--target-accuracy must be a fraction between 0 and 1, got \(targetAccuracy)")
        }
        try checkOutputs([("--metrics", metrics), ("--plot", plot), ("--save", save)],
                         inputs: [("--resume", resume), ("--train", data.train), ("--test", data.test)])
    }

    private var hiddenText: String { hidden ?? "128,64" }

    private var optimizerConfig: OptimizerConfig {
        OptimizerConfig(kind: optimizer ?? .sgd, learningRate: lr ?? 0.003, momentum: momentum ?? 0, weightDecay: weightDecay ?? 0)
    }

    func hiddenWidths() throws -> [Int] {
        let parts = hiddenText.split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !hiddenText.isEmpty, widths.allSatisfy({ $0 != nil && (1...65_536).contains($0!) }) else {
            throw ValidationError("--hidden must be comma-separated widths between 1 and 65536, e.g. 128,64; got '\(hiddenText)'")
        }
        return widths.map { $0! }
    }

    func run() throws {
        var plan = TrainingPlan()
        plan.epochs = epochs
        plan.batchSize = batchSize
        plan.seed = seed ?? 0
        plan.architecture = Architecture(hidden: try hiddenWidths())
        plan.optimizer = optimizerConfig

        let saveTo = save ?? resume
        var resumed: Checkpoint?
        if let resume {
            let checkpoint = try Checkpoint.load(from: resume)
            guard checkpoint.epoch < epochs else {
                throw CommandError("--epochs \(epochs): \(resume) already holds \(checkpoint.epoch) epochs; ask for more to continue it")
            }
            plan.architecture = checkpoint.parameters.architecture
            plan.optimizer = checkpoint.optimizer
            plan.normalization = checkpoint.normalization
            plan.seed = checkpoint.seed
            resumed = checkpoint
        }

        let request = data.request
        if request.wouldFetch() {
            print("No \(request.kind.rawValue) data found; fetching it first (cltrain fetch).")
            try Fetcher.fetch(request.kind) { print($0) }
        }
        let loaded = try request.load()
        try checkOutputs([("--metrics", metrics), ("--plot", plot), ("--save", saveTo)], notAmong: loaded.files)
        let compute = try device.open()
        let backend = try compute.backend(plan: plan, train: loaded.train, test: loaded.test)

        var generator = SeededGenerator(seed: plan.seed)
        let start = resumed ?? Checkpoint(
            parameters: Parameters(initializing: plan.architecture, using: &generator), optimizer: plan.optimizer,
            optimizerState: OptimizerState(fresh: plan.optimizer, parameterCount: plan.architecture.parameterCount),
            normalization: plan.normalization, epoch: 0, seed: plan.seed, dataset: loaded.train.name)
        try backend.load(start.parameters, start.optimizerState)

        print("Device:    \(backend)")
        print("Model:     \(plan.architecture)\(plan.architecture.hidden.isEmpty ? "" : ", ReLU"), log-softmax + NLL")
        print("Data:      \(loaded.train.count) training and \(loaded.test.count) test images from \(loaded.source)")
        print("Optimizer: \(describe(plan.optimizer)), batch \(plan.batchSize), \(plan.epochs) epoch\(plan.epochs == 1 ? "" : "s"), seed \(plan.seed)"
            + (resumed.map { ", resuming after epoch \($0.epoch)" } ?? ""))

        var history: [EpochMetrics] = []
        let trainer = Trainer(backend: backend, plan: plan, trainCount: loaded.train.count,
                              testLabels: loaded.test.labels, reporter: ProgressReporter())
        try trainer.run(from: start.epoch + 1) { epochMetrics in
            history.append(epochMetrics)
            if let saveTo {
                let (parameters, state) = try backend.snapshot()
                var checkpoint = start
                checkpoint.parameters = parameters
                checkpoint.optimizerState = state
                checkpoint.epoch = epochMetrics.epoch
                try checkpoint.save(to: saveTo)
            }
            if let metrics { try writeAtomically(history.map { $0.jsonLine() + "\n" }.joined(), to: metrics, option: "--metrics") }
            if let plot { try writeAtomically(MetricsPlot.svg(history), to: plot, option: "--plot") }
        }
        if let saveTo { print("Saved:     \(saveTo)") }

        let (parameters, _) = try backend.snapshot()
        let prediction = Prediction(parameters: parameters, normalization: plan.normalization,
                                    pixels: Array(loaded.test.image(0)))
        print("\nTest image 0 (labelled \(request.kind.classNames[Int(loaded.test.labels[0])])):")
        print(DigitView.terminal(pixels: prediction.pixels, probabilities: prediction.probabilities,
                                 classNames: request.kind.classNames))

        if let targetAccuracy, let final = history.last, final.testAccuracy < targetAccuracy {
            print(String(format: "Test accuracy %.4f is below the target %.4f.", final.testAccuracy, targetAccuracy))
            throw ExitCode.failure
        }
    }

    private func describe(_ optimizer: OptimizerConfig) -> String {
        var text = "\(optimizer.kind.rawValue) lr \(optimizer.learningRate)"
        if optimizer.momentum != 0 { text += " momentum \(optimizer.momentum)" }
        if optimizer.weightDecay != 0 { text += " weight decay \(optimizer.weightDecay)" }
        return text
    }
}

extension OptimizerConfig.Kind: ExpressibleByArgument {}
