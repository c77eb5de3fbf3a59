/// Everything `--resume` needs to continue a run exactly, stored as a safetensors file that PyTorch reads:
///
///     from safetensors.torch import load_file
///     state = load_file("model.safetensors")
///     model.load_state_dict({k: v for k, v in state.items() if not k.startswith("optimizer.")})
///
/// Tensors carry `nn.Sequential`'s names (`0.weight`, `0.bias`, `2.weight`, …) and the optimizer's state
/// vectors are stored flat as `optimizer.<name>` (`optimizer.exp_avg`, …), each as long as all parameters
/// together, in `Architecture.tensors` order. Everything else sits in the header's string metadata.
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

    public init(parameters: Parameters, optimizer: OptimizerConfig, optimizerState: OptimizerState,
                normalization: Normalization, epoch: Int, seed: UInt64, dataset: String) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.optimizerState = optimizerState
        self.normalization = normalization
        self.epoch = epoch
        self.seed = seed
        self.dataset = dataset
    }

    public var architecture: Architecture { parameters.architecture }

    static let formatKey = "cltrain.format"
    static let formatVersion = "1"
    private static let optimizerPrefix = "optimizer."

    /// Writes the checkpoint atomically: `path` is replaced whole or, on any error, left as it was.
    public func save(to path: String) throws {
        let count = architecture.parameterCount
        let buffers = optimizerState.buffers
        for name in optimizer.stateNames where buffers[name]?.count != count {
            throw CheckpointError.inconsistentState(path: path, problem: "\(optimizer.kind.rawValue) needs an optimizer state "
                                                    + "\"\(name)\" of \(count) values, found \(buffers[name]?.count ?? 0)")
        }
        if let extra = Set(buffers.keys).subtracting(optimizer.stateNames).sorted().first {
            throw CheckpointError.inconsistentState(path: path, problem: "optimizer state \"\(extra)\" is not used by "
                                                    + "\(optimizer.kind.rawValue) with these settings")
        }
        let tensors = architecture.tensors.map { ($0.name, SafeTensors.Tensor(shape: $0.shape, values: Array(parameters.values[$0.range]))) }
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
        guard version == formatVersion else { throw CheckpointError.unsupportedFormat(path: path, version: version) }

        let sizes = try [metadata.number("inputs", Int.self)] + metadata.list("hidden", Int.self) + [metadata.number("classes", Int.self)]
        // Architecture traps on widths it cannot hold, and a hostile header's widths could overflow its arithmetic.
        guard sizes.allSatisfy({ $0 > 0 }), parameterCount(sizes) != nil else {
            throw CheckpointError.badMetadata(path: path, key: "inputs/hidden/classes", value: sizes.map(String.init).joined(separator: ","),
                                              expected: "positive layer widths")
        }
        // cltrain's data is 28×28 images of ten classes; another shape could only be misread.
        guard sizes.first == 784, sizes.last == 10 else {
            throw CheckpointError.badMetadata(path: path, key: "inputs/classes", value: "\(sizes.first!)/\(sizes.last!)",
                                              expected: "784 inputs and 10 classes, as MNIST has")
        }
        let architecture = Architecture(sizes: sizes)

        let kindName = try metadata.string("optimizer")
        guard let kind = OptimizerConfig.Kind(rawValue: kindName) else {
            throw CheckpointError.badMetadata(path: path, key: "optimizer", value: kindName,
                                              expected: OptimizerConfig.Kind.allCases.map(\.rawValue).joined(separator: " or "))
        }
        var optimizer = OptimizerConfig(kind: kind, learningRate: try metadata.number("lr", Float.self),
                                        momentum: try metadata.number("momentum", Float.self),
                                        weightDecay: try metadata.number("weight_decay", Float.self))
        let betas = try metadata.list("betas", Float.self)
        guard betas.count == 2 else {
            throw CheckpointError.badMetadata(path: path, key: "betas", value: stored?["betas"] ?? "", expected: "two numbers")
        }
        (optimizer.beta1, optimizer.beta2) = (betas[0], betas[1])
        optimizer.epsilon = try metadata.number("eps", Float.self)
        optimizer = try CheckpointError.checking(path) { () throws(InvalidSetting) in try optimizer.validated() }

        let slots = architecture.tensors.map { ($0.name, $0.shape) }
            + optimizer.stateNames.map { (optimizerPrefix + $0, [architecture.parameterCount]) }
        var found: [String: [Float]] = [:]
        for (name, shape) in slots {
            guard let tensor = tensors[name] else { throw CheckpointError.missingTensor(path: path, tensor: name) }
            guard tensor.shape == shape else {
                throw CheckpointError.wrongShape(path: path, tensor: name, found: tensor.shape, expected: shape, architecture: architecture)
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
        let normalization = Normalization(mean: try metadata.number("normalization_mean", Float.self),
                                          std: try metadata.number("normalization_std", Float.self))
        return Checkpoint(
            parameters: Parameters(architecture: architecture, values: architecture.tensors.flatMap { found[$0.name]! }),
            optimizer: optimizer,
            optimizerState: OptimizerState(step: step,
                                           buffers: Dictionary(uniqueKeysWithValues: optimizer.stateNames.map { ($0, found[optimizerPrefix + $0]!) })),
            normalization: try CheckpointError.checking(path) { () throws(InvalidSetting) in try normalization.validated() },
            epoch: epoch,
            seed: try metadata.number("seed", UInt64.self),
            dataset: try metadata.string("dataset"))
    }

    /// Numbers are written in Swift's shortest form that reads back to the same value, so a resumed run
    /// sees bit-identical hyperparameters. Key names follow `torch.optim` where it has one.
    private var metadata: [String: String] {
        [
            Self.formatKey: Self.formatVersion,
            "inputs": String(architecture.inputs),
            "hidden": architecture.hidden.map(String.init).joined(separator: ","),
            "classes": String(architecture.classes),
            "normalization_mean": String(normalization.mean),
            "normalization_std": String(normalization.std),
            "epoch": String(epoch),
            "optimizer": optimizer.kind.rawValue,
            "lr": String(optimizer.learningRate),
            "momentum": String(optimizer.momentum),
            "weight_decay": String(optimizer.weightDecay),
            "betas": "\(optimizer.beta1),\(optimizer.beta2)",
            "eps": String(optimizer.epsilon),
            "step": String(optimizerState.step),
            "seed": String(seed),
            "dataset": dataset,
        ]
    }

    /// `Architecture.parameterCount`, or nil where it would overflow.
    private static func parameterCount(_ sizes: [Int]) -> Int? {
        zip(sizes, sizes.dropFirst()).reduce(Optional(0)) { total, layer in
            let (weights, o1) = layer.1.multipliedReportingOverflow(by: layer.0)
            guard let total, !o1 else { return nil }
            let (sum, o2) = total.addingReportingOverflow(weights)
            let (withBias, o3) = sum.addingReportingOverflow(layer.1)
            return o2 || o3 ? nil : withBias
        }
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

    private static func noun<T>(_ type: T.Type) -> (one: String, many: String) {
        type is Float.Type ? ("a number", "numbers") : ("an integer", "integers")
    }
}
