import CLKit

/// `flatten`: `nn.Flatten()`, each sample's values as one vector. Row-major storage is already that vector,
/// so it is a view: backends give its output the input's buffer, and it runs nothing.
public struct Flatten: Layer {
    public static let name = "flatten"
    public static let syntax = "flatten"
    public static let summary = "nn.Flatten: a view, it moves no data"
    public static let examples = ["flatten"]

    public init() {}

    public init(_ arguments: LayerArguments) throws { try arguments.finish() }

    public var description: String { "flatten" }
    public var isView: Bool { true }
    public func outputShape(for input: Shape) throws -> Shape { input.flattened }

    public func referenceOperation(_ stage: Stage) -> ReferenceOperation { View() }
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation { View() }
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation { View() }
}

/// The operation of a view in every backend: the backend already aliased its output to its input.
private final class View: ReferenceOperation, NativeOperation, OpenCLOperation {
    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] { x }
    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) { (dy, []) }
    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {}
    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {}
    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {}
    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {}
}
