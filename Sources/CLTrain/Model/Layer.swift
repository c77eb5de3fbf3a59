import CLKit

/// One kind of layer in a model's list, as `nn.Sequential` holds them. A kind lives in files of its own
/// (`Layers/<Kind>.swift` and its backends' operations beside it) and in one line of `LayerRegistry`.
public protocol Layer: Sendable, CustomStringConvertible {
    /// The kind's name in a model spec, e.g. "linear".
    static var name: String { get }
    /// The argument that PyTorch's full spelling states first and cltrain infers, e.g. "in_features" for
    /// `nn.Linear(in_features, out_features)`; nil where PyTorch has none. A spec may paste `nn.Linear(1176, 10)`:
    /// the parser takes that size off and `Model` checks it against the input's first dimension.
    static var inputArgument: String? { get }
    /// Parses `name(arguments)` from a spec.
    init(_ arguments: LayerArguments) throws
    /// The layer in canonical spec form, e.g. "linear(128)"; parsing it gives the same layer.
    var description: String { get }

    /// The output shape for an input of `input`, or `LayerShapeError` saying why that input does not fit.
    func outputShape(for input: Shape) throws -> Shape
    /// The layer's parameter tensors in `state_dict` order, named and shaped as PyTorch's module names them
    /// (without the `index.` prefix).
    func parameters(for input: Shape) -> [(name: String, shape: [Int])]
    /// Initial values of every parameter tensor, back to back, drawn as PyTorch's default initialization draws them.
    func initialValues(for input: Shape, using generator: inout SeededGenerator) -> [Float]
    /// The layer's buffers: tensors it keeps that no optimizer trains (a batch norm's running statistics), after its
    /// parameters in `state_dict` order and named as PyTorch names them.
    func buffers(for input: Shape) -> [LayerBuffer]
    /// Why a training batch of `rows` samples cannot pass through this layer (PyTorch's reason), or nil.
    func trainingBatchProblem(rows: Int, input: Shape) -> String?
    /// True where a ReLU right after this layer can run inside this layer's own kernels.
    var absorbsReLU: Bool { get }
    /// True for a layer whose output is its input seen in another shape (`flatten`): backends alias its buffers.
    var isView: Bool { get }
    /// True where `layer(relu(x)) = relu(layer(x))` (max-pool): the ReLU's mask can then be applied after it,
    /// by the next stage, from this layer's output.
    var commutesWithReLU: Bool { get }
    /// Multiply-adds of its forward pass per sample (each of its backward products does as many), for rates.
    func multiplyAdds(for input: Shape) -> Int

    /// Values of the scratch buffers its operations keep (a max-pool's indices, the native conv's patch matrices)
    /// for training steps of `batch` samples and passes of up to `rows`, in the native backend or OpenCL, for
    /// `MemoryEstimate`.
    func scratchValues(for input: Shape, batch: Int, rows: Int, native: Bool) -> Int

    /// How a spec names it with its arguments and defaults, e.g. "maxpool2d(kernel_size, stride=kernel_size)", and
    /// one line on what it is in PyTorch's terms: `--help` and the README's table are made from these.
    static var syntax: String { get }
    static var summary: String { get }

    /// A few instances in spec form, e.g. "conv2d(4, 3, stride=2, padding=1)": the tests derived from the registry
    /// build sample models around each, so a new kind is checked (gradients, both backends) without a test of its own.
    static var examples: [String] { get }

    /// Selftest rows for the kernels this kind brings in `Kernels/<kind>.cl`; `KernelChecks` runs them beside the
    /// shared kernels' rows, so a new kind is checked on every device without touching the checks.
    static var kernelChecks: [KernelCheckEntry] { get }

    /// `-D` values `Kernels/<kind>.cl` is built with, one string a build: its blockings (or other sizes its launchers
    /// share with it, such as dropout's chains), declared once where its launchers size their grids from them. The
    /// file is built once per element; a launcher names the build that suits the shape (`KernelLibrary.launch(tunable:…)`,
    /// where `cltrain tune` may choose another); the first is the default. `[""]` for a kind with no such sizes.
    static var kernelVariants: [String] { get }

    /// This layer's computation in each backend (see `LayerOperations.swift`). `rows` is the most samples a
    /// pass will hand it, and `batch` the most a training step will, for the scratch buffers an operation
    /// allocates once.
    func referenceOperation(_ stage: Stage) -> ReferenceOperation
    func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation
    func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation
}

extension Layer {
    public static var inputArgument: String? { nil }
    public static var kernelChecks: [KernelCheckEntry] { [] }
    public static var kernelVariants: [String] { [""] }
    public func parameters(for input: Shape) -> [(name: String, shape: [Int])] { [] }
    public func initialValues(for input: Shape, using generator: inout SeededGenerator) -> [Float] { [] }
    public func buffers(for input: Shape) -> [LayerBuffer] { [] }
    public func trainingBatchProblem(rows: Int, input: Shape) -> String? { nil }
    public var absorbsReLU: Bool { false }
    public var isView: Bool { false }
    public var commutesWithReLU: Bool { false }
    public func scratchValues(for input: Shape, batch: Int, rows: Int, native: Bool) -> Int { 0 }
    public func multiplyAdds(for input: Shape) -> Int { 0 }
}

/// One buffer of a layer: its name and shape, and the value every element starts at, or nil for a step counter
/// (`num_batches_tracked`, I64 in PyTorch), which always holds the number of training steps and so is not stored
/// beside the others.
public struct LayerBuffer: Sendable {
    public let name: String
    public let shape: [Int]
    public let initial: Float?

    public init(_ name: String, shape: [Int], initial: Float?) { (self.name, self.shape, self.initial) = (name, shape, initial) }
}

/// Whether a forward pass trains (dropout draws its masks) or evaluates (dropout is the identity).
public enum Pass: Sendable, Equatable {
    case evaluation
    /// `step` is the 1-based number of the optimizer update the pass belongs to: with the seed it keys every
    /// random draw, so a run repeats exactly and a resumed one continues as the uninterrupted one would.
    case training(seed: UInt64, step: Int)
}

/// Why a layer cannot take its input; the model adds the layer's position and spec.
public struct LayerShapeError: Error {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// One kernel's selftest row: its name and the checks that run it against its twin at every size.
public struct KernelCheckEntry {
    public let kernel: String
    let run: (inout KernelChecks) throws -> [KernelCheckResult]

    init(_ kernel: String, run: @escaping (inout KernelChecks) throws -> [KernelCheckResult]) {
        self.kernel = kernel
        self.run = run
    }
}
