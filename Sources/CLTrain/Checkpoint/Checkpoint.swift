import Foundation

/// Everything `--resume` needs to continue a run exactly, stored as a safetensors file that PyTorch reads:
///
///     from safetensors.torch import load_file
///     state = load_file("model.safetensors")
///     model.load_state_dict({k: v for k, v in state.items() if not k.startswith("optimizer.")})
///
/// Tensors carry `nn.Sequential`'s names for the model's layer list (`0.weight`, `0.bias`, `2.weight`, …), its
/// buffers as PyTorch names and types them (`1.running_mean` F32, `1.num_batches_tracked` I64: the step), and
/// the optimizer's state vectors are stored flat as `optimizer.<name>` (`optimizer.exp_avg`, …), each as long as
/// all parameters together, in `Model.tensors` order. Everything else sits in the header's string metadata:
/// the model as its canonical spec and input shape, so a checkpoint alone rebuilds it.
public struct Checkpoint: Equatable, Sendable {
    public var parameters: Parameters
    public var optimizer: OptimizerConfig
    public var optimizerState: OptimizerState
    public var normalization: Normalization
    /// Epochs completed when the checkpoint was written.
    public var epoch: Int
    public var seed: UInt64
    /// The training set's name, e.g. "MNIST train".
    public var dataset: String
    /// Which dataset it was trained on: `eval`, `predict` and `--resume` use it unless told otherwise.
    public var datasetKind: DatasetKind
    /// Every epoch's figures so far, so metrics and plots written after a resume cover the whole run.
    public var history: [EpochMetrics]
    /// What each resume changed, e.g. "after epoch 3: lr 0.003 → 0.001", oldest first.
    public var changes: [String]
    /// The rest of the recipe a resume continues: the learning-rate schedule, the batch size and the epochs the run
    /// was planned for (the schedule's horizon). nil where a checkpoint from before they were kept lacks them.
    public var schedule: Schedule
    public var loss: LossConfig
    public var batchSize: Int?
    public var plannedEpochs: Int?
    /// What each class is called, as the training data named them (an image folder's class folders); nil where a
    /// checkpoint from before they were kept lacks them, and the dataset kind's names apply.
    public var classNames: [String]?
    /// The image folder's held-out test set, where `--validation-split` made one.
    public var validationSplit: ValidationSplit?
    /// The size an image folder's images were resampled to (`--resize`), which `eval` and `predict` apply too.
    public var resize: ImageSize?
    /// The training batches' random crops and flips, which a resumed run continues.
    public var augmentation: Augmentation

    public init(parameters: Parameters, optimizer: OptimizerConfig, optimizerState: OptimizerState,
                normalization: Normalization, epoch: Int, seed: UInt64, dataset: String,
                datasetKind: DatasetKind = .mnist, history: [EpochMetrics] = [], changes: [String] = [],
                schedule: Schedule = .constant, loss: LossConfig = .lesson, batchSize: Int? = nil, plannedEpochs: Int? = nil,
                classNames: [String]? = nil, validationSplit: ValidationSplit? = nil, resize: ImageSize? = nil,
                augmentation: Augmentation = .none) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.optimizerState = optimizerState
        self.normalization = normalization
        self.epoch = epoch
        self.seed = seed
        self.dataset = dataset
        self.datasetKind = datasetKind
        self.history = history
        self.changes = changes
        self.schedule = schedule
        self.loss = loss
        self.batchSize = batchSize
        self.plannedEpochs = plannedEpochs
        self.classNames = classNames
        self.validationSplit = validationSplit
        self.resize = resize
        self.augmentation = augmentation
    }

    public var model: Model { parameters.model }

    static let formatKey = "cltrain.format"
    static let optimizerPrefix = "optimizer."
    /// 1: an MLP as `inputs`/`hidden`/`classes`; 2: any layer list as `model` and `input_shape`.
    static let formatVersion = "2"

    /// Writes the checkpoint atomically: `path` is replaced whole or, on any error, left as it was.
    public func save(to path: String) throws {
        let count = model.parameterCount
        let buffers = optimizerState.buffers
        for name in optimizer.stateNames where buffers[name]?.count != count {
            throw CheckpointError.inconsistentState(path: path, problem: "\(optimizer.kind) needs an optimizer state "
                                                    + "\"\(name)\" of \(count) values, found \(buffers[name]?.count ?? 0)")
        }
        if let extra = Set(buffers.keys).subtracting(optimizer.stateNames).sorted().first {
            throw CheckpointError.inconsistentState(path: path, problem: "optimizer state \"\(extra)\" is not used by "
                                                    + "\(optimizer.kind) with these settings")
        }
        let tensors = model.tensors.map { ($0.name, SafeTensors.Tensor(shape: $0.shape, values: Array(parameters.values[$0.range]))) }
            + model.buffers.map { ($0.name, SafeTensors.Tensor(shape: $0.shape, values: Array(parameters.buffers[$0.range]))) }
            // num_batches_tracked: the step, exact as an I64 up to 2^24 steps (a Float holds the values in between).
            + model.stepCounters.map { ($0, SafeTensors.Tensor(shape: [], values: [Float(optimizerState.step)], type: .i64)) }
            + optimizer.stateNames.map { (Self.optimizerPrefix + $0, SafeTensors.Tensor(shape: [count], values: buffers[$0]!)) }
        do {
            try FileBytes.replace(path, with: SafeTensors.encode(tensors, metadata: metadata))
        } catch {
            throw CheckpointError.writeFailed(path: path, step: error.step, reason: error.reason)
        }
    }

    public static func load(from path: String) throws -> Checkpoint {
        let bytes: [UInt8]
        do { bytes = try FileBytes.contents(of: path) } catch { throw CheckpointError.unreadable(path: path, reason: error.reason) }
        let (tensors, stored) = try SafeTensors.decode(bytes, path: path)
        let metadata = Metadata(path: path, values: stored ?? [:])
        let version = try metadata.string(formatKey)
        guard version == "1" || version == formatVersion else { throw CheckpointError.unsupportedFormat(path: path, version: version) }
        let model = try version == "1" ? metadata.formatOneModel() : metadata.model()

        var optimizer = OptimizerConfig(kind: try metadata.string("optimizer"), learningRate: try metadata.number("lr", Float.self),
                                        momentum: try metadata.number("momentum", Float.self),
                                        weightDecay: try metadata.number("weight_decay", Float.self),
                                        nesterov: try metadata.optional("nesterov", Bool.self) ?? false)
        let betas = try metadata.list("betas", Float.self)
        guard betas.count == 2 else {
            throw CheckpointError.badMetadata(path: path, key: "betas", value: stored?["betas"] ?? "", expected: "two numbers")
        }
        (optimizer.beta1, optimizer.beta2) = (betas[0], betas[1])
        optimizer.epsilon = try metadata.number("eps", Float.self)
        optimizer = try CheckpointError.checking(path) { () throws(InvalidSetting) in try optimizer.validated() }

        let slots = (model.tensors + model.buffers).map { ($0.name, $0.shape, ElementType.f32) }
            + model.stepCounters.map { ($0, [Int](), ElementType.i64) }
            + optimizer.stateNames.map { (optimizerPrefix + $0, [model.parameterCount], ElementType.f32) }
        var found: [String: [Float]] = [:]
        for (name, shape, type) in slots {
            guard let tensor = tensors[name] else { throw CheckpointError.missingTensor(path: path, tensor: name) }
            guard tensor.shape == shape else {
                throw CheckpointError.wrongShape(path: path, tensor: name, found: tensor.shape, expected: shape, model: model.spec)
            }
            guard tensor.type == type else {
                throw CheckpointError.wrongDtype(path: path, tensor: name, found: tensor.type.rawValue, expected: type.rawValue)
            }
            if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw CheckpointError.nonFinite(path: path, tensor: name, index: index, value: tensor.values[index])
            }
            found[name] = tensor.values
        }
        if let extra = Set(tensors.keys).subtracting(found.keys).sorted().first {
            throw CheckpointError.unexpectedTensor(path: path, tensor: extra)
        }

        let epoch = try metadata.number("epoch", Int.self), step = try metadata.number("step", Int.self)
        guard (0...1_000_000).contains(epoch) else {
            throw CheckpointError.badMetadata(path: path, key: "epoch", value: String(epoch), expected: "a count of epochs from 0 to 1000000")
        }
        guard (0...OptimizerState.maximumStep).contains(step) else {
            throw CheckpointError.badMetadata(path: path, key: "step", value: String(step),
                                              expected: "a count of steps from 0 to \(OptimizerState.maximumStep)")
        }
        let dataset = try metadata.string("dataset")
        // Checkpoints from before the kind was stored name it in the training set's name.
        let datasetKind = try metadata.values["dataset_kind"].map { name in
            guard let kind = DatasetKind(rawValue: name) else {
                throw CheckpointError.badMetadata(path: path, key: "dataset_kind", value: name,
                                                  expected: DatasetKind.allCases.map(\.rawValue).joined(separator: " or "))
            }
            return kind
        } ?? (dataset.hasPrefix(DatasetKind.fashion.displayName) ? .fashion : .mnist)
        let history = try metadata.json("history", [EpochMetrics].self) ?? []
        // Consecutive epochs up to this one (a checkpoint from before histories were kept starts it later).
        guard zip(history, history.dropFirst()).allSatisfy({ $1.epoch == $0.epoch + 1 }),
              (history.first?.epoch ?? 1) >= 1, (history.last?.epoch ?? 0) <= epoch else {
            throw CheckpointError.badMetadata(path: path, key: "history", value: "\(history.count) epochs",
                                              expected: "the figures of epochs 1 to \(epoch) in order")
        }
        let schedule = try CheckpointError.checking(path) { () throws(InvalidSetting) in
            try Schedule(parsing: metadata.values["schedule"] ?? "constant", warmup: Int(metadata.values["warmup"] ?? "0") ?? -1)
        }
        let loss = try CheckpointError.checking(path) { () throws(InvalidSetting) in
            try LossConfig(kind: metadata.values["loss"] ?? CrossEntropy.name,
                           labelSmoothing: Float(metadata.values["label_smoothing"] ?? "0") ?? .nan).validated()
        }
        let batchSize = try metadata.optional("batch_size", Int.self), plannedEpochs = try metadata.optional("epochs", Int.self)
        if let batchSize, !(1...65_536).contains(batchSize) {
            throw CheckpointError.badMetadata(path: path, key: "batch_size", value: String(batchSize), expected: "a batch size from 1 to 65536")
        }
        if let plannedEpochs, !(epoch...1_000_000).contains(plannedEpochs) {
            throw CheckpointError.badMetadata(path: path, key: "epochs", value: String(plannedEpochs),
                                              expected: "the run's planned epochs, from \(epoch) to 1000000")
        }
        // One value for every channel, or one per channel (written since per-channel normalization).
        let means = try metadata.list("normalization_mean", Float.self), stds = try metadata.list("normalization_std", Float.self)
        let channels = model.input.image?.channels ?? 1
        guard !means.isEmpty, means.count == stds.count, means.count == 1 || means.count == channels else {
            throw CheckpointError.badMetadata(path: path, key: "normalization_mean", value: metadata.values["normalization_mean"] ?? "",
                                              expected: "one value, or one per channel (\(channels)), as many as normalization_std")
        }
        let normalization = Normalization(mean: means, std: stds)
        let classNames = try metadata.json("class_names", [String].self)
        if let classNames, classNames.count != model.classes {
            throw CheckpointError.badMetadata(path: path, key: "class_names", value: "\(classNames.count) names",
                                              expected: "one name for each of the model's \(model.classes) classes")
        }
        let fraction = try metadata.optional("validation_split", Double.self)
        if let fraction, !(fraction > 0 && fraction < 1) {
            throw CheckpointError.badMetadata(path: path, key: "validation_split", value: String(fraction), expected: "a fraction between 0 and 1")
        }
        let validationSplit = try fraction.map { ValidationSplit(fraction: $0, seed: try metadata.number("validation_seed", UInt64.self)) }
        let resize = try metadata.values["resize"].map { text in
            guard let size = ImageSize(parsing: text) else {
                throw CheckpointError.badMetadata(path: path, key: "resize", value: text, expected: "H,W with sides from 1 to \(IDX.maximumSide)")
            }
            return size
        }
        let augmentation = try CheckpointError.checking(path) { () throws(InvalidSetting) in
            try Augmentation(parsing: metadata.values["augment"] ?? "none")
        }
        return Checkpoint(
            parameters: Parameters(model: model, values: model.tensors.flatMap { found[$0.name]! },
                                   buffers: model.buffers.flatMap { found[$0.name]! }),
            optimizer: optimizer,
            optimizerState: OptimizerState(step: step,
                                           buffers: Dictionary(uniqueKeysWithValues: optimizer.stateNames.map { ($0, found[optimizerPrefix + $0]!) })),
            normalization: try CheckpointError.checking(path) { () throws(InvalidSetting) in try normalization.validated() },
            epoch: epoch,
            seed: try metadata.number("seed", UInt64.self),
            dataset: dataset, datasetKind: datasetKind, history: history,
            changes: try metadata.json("changes", [String].self) ?? [],
            schedule: schedule, loss: loss, batchSize: batchSize, plannedEpochs: plannedEpochs,
            classNames: classNames, validationSplit: validationSplit, resize: resize, augmentation: augmentation)
    }

    /// Numbers are written in Swift's shortest form that reads back to the same value, so a resumed run
    /// sees bit-identical hyperparameters. Key names follow `torch.optim` where it has one.
    private var metadata: [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func json<T: Encodable>(_ value: T) -> String { String(decoding: (try? encoder.encode(value)) ?? Data("[]".utf8), as: UTF8.self) }
        let means: String = normalization.mean.map { String($0) }.joined(separator: ",")
        let stds: String = normalization.std.map { String($0) }.joined(separator: ",")
        return [
            Self.formatKey: Self.formatVersion,
            "model": model.spec,
            "input_shape": model.input.dimensions.map(String.init).joined(separator: ","),
            "normalization_mean": means,
            "normalization_std": stds,
            "epoch": String(epoch),
            "optimizer": optimizer.kind,
            "nesterov": String(optimizer.nesterov),
            "lr": String(optimizer.learningRate),
            "momentum": String(optimizer.momentum),
            "weight_decay": String(optimizer.weightDecay),
            "betas": "\(optimizer.beta1),\(optimizer.beta2)",
            "eps": String(optimizer.epsilon),
            "step": String(optimizerState.step),
            "seed": String(seed),
            "dataset": dataset,
            "dataset_kind": datasetKind.rawValue,
            "history": json(history),
            "changes": json(changes),
            "schedule": schedule.description,
            "warmup": String(schedule.warmup),
            "loss": loss.kind,
            "label_smoothing": String(loss.labelSmoothing),
            "augment": augmentation.description,
        ].merging([("batch_size", batchSize.map(String.init)), ("epochs", plannedEpochs.map(String.init)),
                   ("class_names", classNames.map(json)), ("validation_split", validationSplit.map { String($0.fraction) }),
                   ("validation_seed", validationSplit.map { String($0.seed) }), ("resize", resize.map { "\($0.height),\($0.width)" })]
            .compactMap { key, value in value.map { (key, $0) } }) { $1 }
    }
}

/// Typed reads of the header's string metadata, each failure naming the key and what it should hold.
private struct Metadata {
    let path: String
    let values: [String: String]

    func string(_ key: String) throws -> String {
        guard let value = values[key] else { throw CheckpointError.missingMetadata(path: path, key: key) }
        return value
    }

    func number<T: LosslessStringConvertible>(_ key: String, _ type: T.Type) throws -> T {
        let text = try string(key)
        guard let value = T(text) else { throw CheckpointError.badMetadata(path: path, key: key, value: text, expected: Self.noun(T.self).one) }
        return value
    }

    /// A value where the key may be absent (checkpoints written before it existed): nil then.
    func optional<T: LosslessStringConvertible>(_ key: String, _ type: T.Type) throws -> T? {
        values[key] == nil ? nil : try number(key, T.self)
    }

    /// A comma-separated list; the empty string is the empty list (a network without hidden layers).
    func list<T: LosslessStringConvertible>(_ key: String, _ type: T.Type) throws -> [T] {
        let text = try string(key)
        guard !text.isEmpty else { return [] }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { T(String($0)) }
        guard items.allSatisfy({ $0 != nil }) else {
            throw CheckpointError.badMetadata(path: path, key: key, value: text, expected: "comma-separated " + Self.noun(T.self).many)
        }
        return items.map { $0! }
    }

    /// A JSON value, or nil where the key is absent (checkpoints written before it existed).
    func json<T: Decodable>(_ key: String, _ type: T.Type) throws -> T? {
        guard let text = values[key] else { return nil }
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw CheckpointError.badMetadata(path: path, key: key, value: String(text.prefix(40)), expected: "a JSON array as cltrain writes it")
        }
    }

    /// Format 2: the layer list and the input shape, checked as `--model` is.
    func model() throws -> Model {
        let spec = try string("model"), dimensions = try list("input_shape", Int.self)
        guard (1...3).contains(dimensions.count), dimensions.allSatisfy({ (1...65_536).contains($0) }) else {
            throw CheckpointError.badMetadata(path: path, key: "input_shape", value: values["input_shape"] ?? "",
                                              expected: "one to three sizes from 1 to 65536, e.g. 1,28,28")
        }
        do {
            return try Model(spec, input: Shape(dimensions))
        } catch let error as ModelSpecError {
            throw CheckpointError.badMetadata(path: path, key: "model", value: spec, expected: "a model for \(Shape(dimensions)) inputs: \(error)")
        }
    }

    /// Format 1 held an MLP for MNIST: `inputs` (784), the `hidden` widths and `classes` (10).
    func formatOneModel() throws -> Model {
        let inputs = try number("inputs", Int.self), classes = try number("classes", Int.self)
        let hidden = try list("hidden", Int.self)
        guard inputs == 784, classes == 10, hidden.allSatisfy({ (1...1_048_576).contains($0) }) else {
            throw CheckpointError.badMetadata(path: path, key: "inputs/hidden/classes", value: "\(inputs)/\(values["hidden"] ?? "")/\(classes)",
                                              expected: "784 inputs, widths from 1 to 1048576 and 10 classes, as format 1 wrote them")
        }
        do {
            return try Model(ModelSpec.mlp(hidden: hidden, classes: classes), input: .image(channels: 1, height: 28, width: 28))
        } catch let error as ModelSpecError {
            throw CheckpointError.badMetadata(path: path, key: "hidden", value: values["hidden"] ?? "", expected: "\(error)")
        }
    }

    private static func noun<T>(_ type: T.Type) -> (one: String, many: String) {
        type is Float.Type ? ("a number", "numbers") : ("an integer", "integers")
    }
}
