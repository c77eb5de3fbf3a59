import CLKit

/// One training loss on the logits: the batch's mean loss and its gradient with respect to the logits, in one
/// pass. A kind lives in `Kinds/Losses/<Name>/` (its rule, launcher and selftest rows; its kernel in
/// `Kernels/<name>.cl`) and one line of `LossRegistry`; the backends call only this protocol. Evaluation reports
/// the plain cross-entropy of the test set whatever the training loss, so runs compare.
public protocol LossKind {
    static var name: String { get }
    static var summary: String { get }
    /// Why `settings` do not apply to this kind, or nil.
    static func refusal(_ settings: LossConfig) -> InvalidSetting?
    /// The rule, written to be read: the CPU twin of the kernel and the `--cpu` path's loss. `logits` and `dz`
    /// are (rows, classes); `label(n)` is sample n's class. Returns the mean loss over the rows.
    static func forwardBackward(logits: UnsafePointer<Float>, rows: Int, classes: Int, label: (Int) -> Int,
                                settings: LossConfig, dz: UnsafeMutablePointer<Float>) -> Float
    /// Queues the kernel: the loss to `losses[slot]`, the gradient to `dz`; labels read through the epoch's order
    /// from `offset` (offset and slot: the step record's, `KernelLibrary.stepRecord`).
    @discardableResult
    static func launch(_ library: KernelLibrary, rows: Int, classes: Int, z: Buffer<Float>, labels: Buffer<UInt8>,
                       order: Buffer<Int32>, losses: Buffer<Float>, dz: Buffer<Float>,
                       settings: LossConfig) throws -> Event?
    /// Selftest rows of its kernel.
    static var kernelChecks: [KernelCheckEntry] { get }
}

/// The training loss's settings: which kind (`LossRegistry`) and its label smoothing.
public struct LossConfig: Equatable, Sendable {
    public var kind: String
    /// PyTorch's `label_smoothing`: the target puts 1 − ε on the label and ε spread evenly over every class.
    public var labelSmoothing: Float

    public init(kind: String = CrossEntropy.name, labelSmoothing: Float = 0) {
        self.kind = kind
        self.labelSmoothing = labelSmoothing
    }

    /// The lesson's: log-softmax and NLL, no smoothing.
    public static let lesson = LossConfig()

    public var rule: any LossKind.Type {
        guard let rule = LossRegistry.kind(named: kind) else { preconditionFailure("unchecked loss '\(kind)'") }
        return rule
    }

    /// `self`, if the kind is known and takes these settings.
    public func validated() throws(InvalidSetting) -> LossConfig {
        guard let rule = LossRegistry.kind(named: kind) else {
            throw InvalidSetting(key: "loss", value: kind, expected: LossRegistry.kinds.map { $0.name }.joined(separator: " or "))
        }
        if let refusal = rule.refusal(self) { throw refusal }
        return self
    }
}
