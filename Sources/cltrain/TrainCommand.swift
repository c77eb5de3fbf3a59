import ArgumentParser
import CLTrain
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model (by default the lesson's: 784-128-64-10, SGD lr 0.003, batch 64, 5 epochs).",
        discussion: "Fetches MNIST first when no data is named and none is cached.\n\n" + ModelOptions.syntax
    )

    // The recipe's options are optional so that --resume can tell an explicit value (a change, recorded in the
    // checkpoint, or refused) from the default, which there is the checkpoint's own.
    @Option(parsing: .unconditional, help: "Passes over the training set, in all when resuming: the schedule spans them. (default: 5; with --resume the checkpoint's run)")
    var epochs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this epoch, as if interrupted there; --resume continues the run.", valueName: "epoch"))
    var stopAfter: Int?

    @Option(parsing: .unconditional, help: "Samples per training step. (default: 64)")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Learning rate. (default: 0.003)")
    var lr: Float?

    @Option(parsing: .unconditional, help: "SGD momentum, in [0, 1). (default: 0)")
    var momentum: Float?

    @Option(parsing: .unconditional, help: "L2 weight decay added to the gradient. (default: 0)")
    var weightDecay: Float?

    @Option(help: ArgumentHelp("\(OptimizerRegistry.names). (default: sgd)", valueName: "kind"))
    var optimizer: String?

    @Flag(inversion: .prefixedNo, help: "SGD with Nesterov momentum (needs --momentum). (default: off)")
    var nesterov: Bool?

    @Option(help: ArgumentHelp("Learning-rate schedule over the run, per step: \(Schedule.syntax). (default: constant)", valueName: "curve"))
    var schedule: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Linear learning-rate warm-up over the first STEPS updates. (default: 0)", valueName: "steps"))
    var warmup: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Cross-entropy's label smoothing, as PyTorch's: 1 − ε on the label, ε spread over every class. (default: 0)", valueName: "ε"))
    var labelSmoothing: Float?

    @Option(parsing: .unconditional, help: "Seed for initialization and shuffling; the same seed on the same device repeats a run exactly. (default: 0)")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Save a checkpoint (safetensors) here after every epoch.", valueName: "file"))
    var save: String?

    @Option(help: ArgumentHelp("Continue from this checkpoint, optimizer state included; saves back to it unless --save.",
                               valueName: "file"))
    var resume: String?

    @Option(name: .customLong("init"), help: ArgumentHelp("Start a new run from these weights: a cltrain checkpoint (of any "
        + "dataset; its model unless --model) or a PyTorch state_dict saved with safetensors, matched by name and shape.", valueName: "file"))
    var initial: String?

    @Flag(help: "With --init: draw the last layer with parameters afresh, for data of other classes (transfer learning).")
    var reinitLast = false

    @Option(help: ArgumentHelp("Write one JSON object per epoch to this file.", valueName: "file"))
    var metrics: String?

    @Option(help: ArgumentHelp("Draw the loss and accuracy curves into this SVG file.", valueName: "file"))
    var plot: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Exit with status 1 if the final test accuracy is below this fraction.", valueName: "fraction"))
    var targetAccuracy: Double?

    @Flag(name: .shortAndLong, help: "Print only the line that ends each epoch (errors still go to stderr).")
    var quiet = false

    @Flag(inversion: .prefixedNo, help: "Draw test image 0 and the trained model's prediction at the end.")
    var preview = true

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var device: DeviceOptions
    @OptionGroup var replicas: DevicesOption
    @OptionGroup var data: DataOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var tuning: TuningOptions
    @OptionGroup var stepPath: StepPathOption

    func validate() throws {
        if let epochs, !(1...100_000).contains(epochs) { throw ValidationError("--epochs must be between 1 and 100000, got \(epochs)") }
        if let stopAfter, !(1...(epochs ?? 100_000)).contains(stopAfter) {
            throw ValidationError("--stop-after must be an epoch from 1 to --epochs, got \(stopAfter)")
        }
        if let batchSize, !(1...65_536).contains(batchSize) {
            throw ValidationError("--batch-size must be between 1 and 65536, got \(batchSize)")
        }
        do {
            _ = try optimizerConfig.validated()
            _ = try Schedule(parsing: schedule ?? "constant", warmup: warmup ?? 0)
            _ = try LossConfig(labelSmoothing: labelSmoothing ?? 0).validated()
        } catch {
            throw ValidationError("\(error.option) must be \(error.expected), got \(error.value)")
        }
        if resume != nil && modelOptions.isSet {
            throw ValidationError("--resume continues the checkpoint's model; --model and --hidden would change its shape, "
                + "so leave them out or start a new run without --resume")
        }
        if initial != nil && resume != nil {
            throw ValidationError("--init starts a new run from weights and --resume continues one; pass one")
        }
        for (option, path) in [("--init", initial), ("--resume", resume)] where path?.isEmpty == true {
            throw ValidationError("\(option): the path is empty; name a safetensors file")
        }
        if reinitLast && initial == nil { throw ValidationError("--reinit-last re-initializes the last layer of --init's weights; pass --init FILE") }
        if resume != nil && input.isSet {
            throw ValidationError("--resume continues with the checkpoint's normalization and augmentation; leave --normalize and --augment out")
        }
        if let targetAccuracy, !(0...1).contains(targetAccuracy) {
            throw ValidationError("--target-accuracy must be a fraction between 0 and 1, got \(targetAccuracy)")
        }
        try checkOutputs([("--metrics", metrics), ("--plot", plot), ("--save", save)],
                         inputs: [("--resume", resume), ("--init", initial), ("--train", data.train), ("--test", data.test)])
        try replicas.validate(with: device)
    }


    /// The preset's recipe where `--model` names one, else the lesson's.
    private var recipe: ModelSpec.Recipe { modelOptions.model.flatMap(ModelSpec.recipe) ?? ModelSpec.Recipe() }

    /// The optimizer of a new run: the options, else the recipe's settings (the recipe's optimizer only when the
    /// option names no other kind) and the kind's own default decay.
    private var optimizerConfig: OptimizerConfig {
        let base = recipe.optimizer, kind = optimizer ?? base.kind, same = kind == base.kind
        return OptimizerConfig(kind: kind, learningRate: lr ?? (same ? base.learningRate : 0.003),
                               momentum: momentum ?? (same ? base.momentum : 0),
                               weightDecay: weightDecay ?? (same && base.weightDecay != 0 ? base.weightDecay
                                   : OptimizerRegistry.kind(named: kind)?.defaultWeightDecay ?? 0),
                               nesterov: nesterov ?? (same ? base.nesterov : false))
    }

    func run() throws {
        try MPIJob.run { try train(job: $0) }
    }

    /// The run, as rank `job.rank` of an MPI job or alone; rank 0 alone prints, saves and writes metrics.
    private func train(job: MPIJob?) throws {
        let communicator: Communicator = job ?? SingleProcess()
        let leader = communicator.rank == 0
        let say: (String) -> Void = quiet || !leader ? { _ in } : { print($0) }
        var plan = TrainingPlan()
        plan.epochs = epochs ?? 5
        plan.batchSize = batchSize ?? recipe.batchSize
        plan.seed = seed ?? 0
        plan.optimizer = optimizerConfig
        plan.schedule = try Schedule(parsing: schedule ?? recipe.schedule.description, warmup: warmup ?? recipe.schedule.warmup)
        plan.loss = LossConfig(labelSmoothing: labelSmoothing ?? 0)

        let initialWeights = try initial.map { try InitialWeights(path: $0) }
        let saveTo = save ?? resume
        var resumed: Checkpoint?
        if let resume {
            var checkpoint = try Checkpoint.load(from: resume)
            plan.epochs = epochs ?? checkpoint.plannedEpochs ?? plan.epochs
            guard checkpoint.epoch < plan.epochs else {
                throw CommandError("--epochs \(plan.epochs): \(resume) already holds \(checkpoint.epoch) epochs; ask for more to continue it")
            }
            if let stopAfter, stopAfter <= checkpoint.epoch {
                throw CommandError("--stop-after \(stopAfter): \(resume) already holds \(checkpoint.epoch) epochs")
            }
            plan.normalization = checkpoint.normalization
            plan.augmentation = checkpoint.augmentation
            plan.batchSize = batchSize ?? checkpoint.batchSize ?? plan.batchSize
            (plan.optimizer, plan.seed) = try fineTuned(checkpoint, path: resume)
            plan.schedule = try Schedule(parsing: schedule ?? checkpoint.schedule.description, warmup: warmup ?? checkpoint.schedule.warmup)
            plan.loss = checkpoint.loss
            plan.loss.labelSmoothing = labelSmoothing ?? checkpoint.loss.labelSmoothing
            checkpoint.changes += changes(from: checkpoint, to: plan)
            checkpoint.optimizer = plan.optimizer
            checkpoint.seed = plan.seed
            (checkpoint.schedule, checkpoint.batchSize, checkpoint.plannedEpochs) = (plan.schedule, plan.batchSize, plan.epochs)
            checkpoint.loss = plan.loss
            checkpoint.optimizerState = checkpoint.optimizerState.adapted(to: plan.optimizer, parameterCount: checkpoint.model.parameterCount)
            resumed = checkpoint
        }

        let request = resumed.map { data.request(defaultKind: $0.datasetKind, split: $0.validationSplit, size: $0.resize) }
            ?? data.request(defaultKind: .mnist, splitSeed: plan.seed)
        if let resumed, let fraction = data.validationSplit, fraction != resumed.validationSplit?.fraction {
            throw CommandError("--validation-split \(fraction): \(resume!) holds out "
                + (resumed.validationSplit.map { "\($0.fraction)" } ?? "no split") + "; resuming on another test set would mix two runs, so leave it out")
        }
        if let resumed, let kind = data.dataset, kind != resumed.datasetKind {
            throw CommandError("--dataset \(kind.rawValue): \(resume!) was trained on \(resumed.datasetKind.displayName); "
                + "resuming it on other data would mix two datasets in one run, so leave --dataset out")
        }
        // One rank per machine fetches; the others wait for it rather than write the same files at the same time.
        if request.wouldFetch() && (job?.launch.localRank ?? 0) == 0 {
            say("No \(request.kind.rawValue) data found; fetching it first (cltrain fetch).")
            try Fetcher.fetch(request.kind, log: say)
        }
        _ = try communicator.sum([0])
        let loaded = try request.load()
        if let resumed {
            try resumed.checkFits(loaded, path: resume!)
            plan.model = resumed.model
        } else {
            plan.model = try modelOptions.build(for: loaded, batchSize: plan.batchSize,
                                                fallback: initialWeights?.spec.map { ($0, "--init \(initial!)'s model") })
            plan.normalization = try input.normalization(for: loaded)
            plan.augmentation = input.augmentation
            if !plan.augmentation.isNone && plan.model.input.image == nil {
                throw CommandError("--augment crops and flips images, but the model reads \(plan.model.input) values")
            }
        }
        if modelOptions.printSummary(plan.model) { return }
        if let problem = plan.batchProblem(count: loaded.train.count) { throw CommandError(problem) }
        // Before the device opens: the weights themselves are drawn once the backend has checked that the run fits.
        try initialWeights?.check(plan.model, reinitializeLast: reinitLast)
        try checkOutputs([("--metrics", metrics), ("--plot", plot), ("--save", saveTo)], notAmong: loaded.files)
        let computes = try replicas.open(device, localRank: job?.launch.localRank ?? 0)
        let compute = computes[0]
        say("Device:    \(computes.map(\.description).joined(separator: ", "))")
        if let job { say("MPI:       \(job.size) rank\(job.size == 1 ? "" : "s"), \(job.version) (\(job.library))") }
        let runTuning = tuning.load(for: compute)
        if let runTuning { say("Tuning:    \(runTuning.summary)") }
        say("Model:     \(plan.model.spec), log-softmax + NLL\(plan.loss.labelSmoothing == 0 ? "" : " with label smoothing \(plan.loss.labelSmoothing)") (\(plan.model.input) → \(plan.model.classes), "
            + "\(plan.model.parameterCount) parameters)")
        ModelSummary.lines(plan.model).forEach { say("           " + $0) }
        say("Data:      \(loaded.train.count) training and \(loaded.test.count) test images from \(loaded.source)")
        if let initial { say("Init:      \(initial)" + (reinitLast ? ", the last layer with parameters drawn afresh" : "")) }
        for note in loaded.notes { say("           \(note)") }
        if plan.normalization != .lesson { say("Normalize: \(plan.normalization)") }
        if !plan.augmentation.isNone { say("Augment:   \(plan.augmentation) (training batches only)") }
        let settings = ModelSpec.Recipe(optimizer: plan.optimizer, batchSize: plan.batchSize, schedule: plan.schedule)
        // "(preset)" where the run trains exactly as the named preset's recipe says.
        let fromPreset = resumed == nil && modelOptions.model.flatMap(ModelSpec.recipe) == settings
        say("Optimizer: \(settings.settings)\(fromPreset ? " (preset)" : ""), batch \(plan.batchSize), \(plan.epochs) epoch\(plan.epochs == 1 ? "" : "s"), seed \(plan.seed)"
            + (resumed.map { ", resuming after epoch \($0.epoch)" } ?? ""))
        let backend = try DataParallelBackend.build(devices: computes, communicator: communicator, plan: plan, train: loaded.train,
                                                    test: loaded.test, tuning: { tuning.load(for: $0)?.tuning ?? Tuning() },
                                                    stepPath: stepPath.stepPath)
        if let parallel = backend as? DataParallelBackend {
            say("Replicas:  \(parallel.replicaCount), each computing its slice of every batch of \(plan.batchSize); gradients summed every step")
        }
        // Every replica places the data alike: the first one speaks for them.
        let first = (backend as? DataParallelBackend)?.replicas.first ?? backend
        if let streams = (first as? OpenCLBackend)?.placement.summary(train: loaded.train, test: loaded.test) {
            let limits = try compute.memoryLimits()
            say("Stream:    \(streams); the run does not fit in "
                + String(format: "%.1f MiB", Double(limits.device ?? 0) / Double(1 << 20))
                + " (\(limits.devicePlace ?? "the global memory of \(compute)"))")
        }

        let start = try resumed ?? Checkpoint(
            parameters: startingWeights(plan, initialWeights), optimizer: plan.optimizer,
            optimizerState: OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount),
            normalization: plan.normalization, epoch: 0, seed: plan.seed, dataset: "\(loaded.name) train", datasetKind: loaded.kind,
            schedule: plan.schedule, loss: plan.loss, batchSize: plan.batchSize, plannedEpochs: plan.epochs,
            classNames: loaded.classNames.count == plan.model.classes ? loaded.classNames : nil,
            validationSplit: request.images.validationSplit.map { ValidationSplit(fraction: $0, seed: request.images.splitSeed) },
            resize: loaded.kind == .folder ? request.images.resize : nil,
            augmentation: plan.augmentation)
        try backend.load(start.parameters, start.optimizerState)

        var history = start.history
        let trainer = Trainer(backend: backend, plan: plan, trainCount: loaded.train.count,
                              testLabels: loaded.test.labels,
                              reporter: leader ? ProgressReporter(quiet: quiet) : .silent())
        Interruption.install()
        var savedEpoch = resumed?.epoch
        do {
            try trainer.run(from: start.epoch + 1, through: stopAfter ?? plan.epochs) { epochMetrics in
                history.append(epochMetrics)
                guard leader else { return }
                if let saveTo {
                    let (parameters, state) = try backend.snapshot()
                    var checkpoint = start
                    checkpoint.parameters = parameters
                    checkpoint.optimizerState = state
                    checkpoint.epoch = epochMetrics.epoch
                    checkpoint.history = history
                    (checkpoint.dataset, checkpoint.datasetKind) = ("\(loaded.name) train", loaded.kind)
                    try checkpoint.save(to: saveTo)
                    savedEpoch = epochMetrics.epoch
                }
                if let metrics { try writeAtomically(history.map { $0.jsonLine() + "\n" }.joined(), to: metrics, option: "--metrics") }
                if let plot { try writeAtomically(MetricsPlot.svg(history), to: plot, option: "--plot") }
            }
        } catch TrainingError.interrupted(let epoch, let signal) {
            if leader { FileHandle.standardError.write(Data((interruptedMessage(epoch: epoch, signal: signal, saveTo: saveTo,
                                                                    savedEpoch: savedEpoch) + "\n").utf8)) }
            Foundation.exit(128 + signal)
        }
        for path in [saveTo, metrics, plot].compactMap({ $0 }) { say("Saved:     \(path)") }

        if preview && !quiet && leader {
            let (parameters, _) = try backend.snapshot()
            let prediction = Prediction(parameters: parameters, normalization: plan.normalization,
                                        pixels: Array(loaded.test.image(0)))
            let names = start.classNames ?? loaded.kind.classNames(count: plan.model.classes)
            print("\nTest image 0 (labelled \(names[Int(loaded.test.labels[0])])):")
            print(DigitView.terminal(pixels: DigitView.grey(prediction.pixels, channels: loaded.test.channels),
                                     width: loaded.test.columns, probabilities: prediction.probabilities, classNames: names))
        }

        if let targetAccuracy, let final = history.last, final.testAccuracy < targetAccuracy {
            throw CommandError(String(format: "--target-accuracy: the final test accuracy %.4f is below the target %.4f",
                                      final.testAccuracy, targetAccuracy))
        }
    }

    /// The checkpoint's optimizer and seed with the options a resumed run may change: the learning rate, SGD's
    /// momentum, the weight decay and the seed (batch size and epochs are not part of the checkpoint). The
    /// optimizer's kind stays: another optimizer's state would not mean anything.
    private func fineTuned(_ checkpoint: Checkpoint, path: String) throws -> (OptimizerConfig, UInt64) {
        var config = checkpoint.optimizer
        if let optimizer, optimizer != config.kind {
            throw CommandError("--optimizer \(optimizer): \(path) was trained with \(config.kind), whose state "
                + "another optimizer cannot continue; leave --optimizer out or start a new run")
        }
        config.learningRate = lr ?? config.learningRate
        config.momentum = momentum ?? config.momentum
        config.weightDecay = weightDecay ?? config.weightDecay
        config.nesterov = nesterov ?? config.nesterov
        do { config = try config.validated() } catch {
            throw CommandError("\(error.option) must be \(error.expected) when resuming \(path), got \(error.value)")
        }
        return (config, seed ?? checkpoint.seed)
    }

    /// PyTorch's default initialization of the plan's model, drawn from its seed, with `--init`'s tensors laid over it.
    private func startingWeights(_ plan: TrainingPlan, _ initialWeights: InitialWeights?) throws -> Parameters {
        var generator = SeededGenerator(seed: plan.seed)
        let drawn = Parameters(initializing: plan.model, using: &generator)
        return try initialWeights?.parameters(replacing: drawn, reinitializeLast: reinitLast) ?? drawn
    }

    /// The one line an interrupted run ends with: what the checkpoint holds and the command that continues it.
    private func interruptedMessage(epoch: Int, signal: Int32, saveTo: String?, savedEpoch: Int?) -> String {
        let what = TrainingError.interrupted(epoch: epoch, signal: signal).description
        guard let saveTo, let savedEpoch else {
            let saved = saveTo.map { ": no checkpoint was written yet; \($0) gets one after each epoch" }
            return what + (saved ?? ": nothing was saved; pass --save FILE to keep each epoch")
        }
        return what + ": \(saveTo) holds epoch \(savedEpoch); continue with: " + resumeCommand(saveTo)
    }

    /// This run's command line, resuming from `checkpoint`: the model options go (the checkpoint holds the model),
    /// and so do --save and --resume; every other option stays, and agrees with what the checkpoint holds.
    private func resumeCommand(_ checkpoint: String) -> String {
        let dropped: Set = ["--model", "--hidden", "--save", "--resume"]
        var words: [String] = [], arguments = CommandLine.arguments[...]
        while let argument = arguments.popFirst() {
            let name = String(argument.prefix { $0 != "=" })
            if dropped.contains(name) {
                if !argument.contains("=") { arguments = arguments.dropFirst() }
                continue
            }
            words.append(argument)
        }
        words += ["--resume", checkpoint]
        return words.map(shellQuoted).joined(separator: " ")
    }

    /// What a resume changes, recorded in the checkpoint: "after epoch 3: lr 0.003 → 0.001, epochs 5 → 8".
    private func changes(from checkpoint: Checkpoint, to plan: TrainingPlan) -> [String] {
        let (old, new) = (checkpoint.optimizer, plan.optimizer)
        let settings: [(String, String, String)] = [
            ("lr", "\(old.learningRate)", "\(new.learningRate)"), ("momentum", "\(old.momentum)", "\(new.momentum)"),
            ("weight_decay", "\(old.weightDecay)", "\(new.weightDecay)"), ("nesterov", "\(old.nesterov)", "\(new.nesterov)"),
            ("seed", "\(checkpoint.seed)", "\(plan.seed)"), ("schedule", "\(checkpoint.schedule)", "\(plan.schedule)"),
            ("warmup", "\(checkpoint.schedule.warmup)", "\(plan.schedule.warmup)"),
            ("label_smoothing", "\(checkpoint.loss.labelSmoothing)", "\(plan.loss.labelSmoothing)"),
            ("batch_size", checkpoint.batchSize.map(String.init) ?? "?", "\(plan.batchSize)"),
            ("epochs", checkpoint.plannedEpochs.map(String.init) ?? "?", "\(plan.epochs)"),
        ]
        let differences = settings.filter { $0.1 != $0.2 && $0.1 != "?" }.map { "\($0.0) \($0.1) → \($0.2)" }
        return differences.isEmpty ? [] : ["after epoch \(checkpoint.epoch): " + differences.joined(separator: ", ")]
    }
}

/// `word` as a POSIX shell reads it back: as it is where that is safe, else in single quotes.
func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@%+")
    return !word.isEmpty && word.allSatisfy(safe.contains) ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
