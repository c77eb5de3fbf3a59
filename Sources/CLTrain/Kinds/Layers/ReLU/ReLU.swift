import CLKit

/// `relu`: `nn.ReLU()`. After a linear (or conv2d) layer it runs inside that layer's kernels (see
/// `Model`); elsewhere it is a stage of its own. Kernels: relu_forward, relu_backward.
public struct ReLU: Layer {
    public static let name = "relu"
    public static let syntax = "relu"
    public static let summary = "nn.ReLU; after linear or conv2d it runs inside that layer's kernels"
    public static let examples = ["relu"]

    public init() {}

    public init(_ arguments: LayerArguments) throws { try arguments.finish() }

    public var description: String { "relu" }
    public func outputShape(for input: Shape) throws -> Shape { input }

    // relu_backward masks by its own input, so a masked input gradient (Stage.maskInputGradient) needs no more.
    public func referenceOperation(_ stage: Stage) -> ReferenceOperation { ReferenceReLU(stage: stage) }
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation { NativeReLU(stage: stage) }
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        OpenCLReLU(stage: stage, library: library)
    }
}

private struct ReferenceReLU: ReferenceOperation {
    let stage: Stage

    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] { Reference.reluForward(x) }

    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) {
        (stage.needsInputGradient ? Reference.reluBackward(x: x, dy: dy) : nil, [])
    }
}

private final class NativeReLU: NativeOperation {
    let stage: Stage
    init(stage: Stage) { self.stage = stage }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        for e in 0..<(rows * stage.input.count) { y[e] = x[e] < 0 ? 0 : x[e] }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        guard let dx else { return }
        for e in 0..<(rows * stage.input.count) { dx[e] = x[e] > 0 ? dy[e] : 0 }
    }
}

private final class OpenCLReLU: OpenCLOperation {
    let stage: Stage, library: KernelLibrary
    init(stage: Stage, library: KernelLibrary) { (self.stage, self.library) = (stage, library) }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {
        try library.reluForward(x: x, y: y, count: rows * stage.input.count)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        if let dx { try library.reluBackward(x: x, dy: dy, dx: dx, count: rows * stage.input.count) }
    }
}
