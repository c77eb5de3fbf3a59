/// A training setting outside what cltrain accepts, named by its checkpoint metadata key (`lr`,
/// `normalization_std`). The command line reports it as the option of the same name (`--lr`), the checkpoint
/// loader as the file's metadata, so options and checkpoints are held to one set of rules.
public struct InvalidSetting: Error, Equatable {
    public let key: String
    public let value: String
    public let expected: String

    /// The command-line option for this setting: `weight_decay` → `--weight-decay`.
    public var option: String { "--" + key.replacingOccurrences(of: "_", with: "-") }
}

extension OptimizerConfig {
    /// `self`, if every setting is one training can use; NaN and infinities fail every rule.
    public func validated() throws(InvalidSetting) -> OptimizerConfig {
        try require(learningRate.isFinite && learningRate > 0, "lr", learningRate, "a positive number")
        try require((0..<1).contains(momentum), "momentum", momentum, "a number in [0, 1)")
        guard let rule = OptimizerRegistry.kind(named: kind) else {
            throw InvalidSetting(key: "optimizer", value: kind, expected: OptimizerRegistry.names)
        }
        if let refusal = rule.refusal(self) { throw refusal }
        try require(weightDecay.isFinite && weightDecay >= 0, "weight_decay", weightDecay, "zero or a positive number")
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw InvalidSetting(key: "betas", value: "\(beta1),\(beta2)", expected: "two numbers in [0, 1)")
        }
        try require(epsilon.isFinite && epsilon > 0, "eps", epsilon, "a positive number")
        return self
    }
}

extension Normalization {
    /// `self`, if `apply` gives finite values: a std of 0 would divide by zero.
    public func validated() throws(InvalidSetting) -> Normalization {
        for (mean, std) in zip(mean, std) {
            try require(mean.isFinite, "normalization_mean", mean, "a finite number")
            try require(std.isFinite && std > 0, "normalization_std", std, "a positive number")
        }
        return self
    }
}

extension OptimizerState {
    /// Steps a checkpoint may have taken: far more than any run makes, and small enough that counting on
    /// cannot overflow and Adam's `β^step` is computed from an exact Double.
    public static let maximumStep = 1 << 53
}

extension CheckpointError {
    /// Runs `validation`, reporting a failure as the checkpoint's bad metadata.
    static func checking<T>(_ path: String, _ validation: () throws(InvalidSetting) -> T) throws(CheckpointError) -> T {
        do { return try validation() } catch {
            throw .badMetadata(path: path, key: error.key, value: error.value, expected: error.expected)
        }
    }
}

private func require(_ valid: Bool, _ key: String, _ value: Float, _ expected: String) throws(InvalidSetting) {
    if !valid { throw InvalidSetting(key: key, value: String(value), expected: expected) }
}
