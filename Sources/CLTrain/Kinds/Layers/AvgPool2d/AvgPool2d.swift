/// `avgpool2d(kernel_size, stride=kernel_size)`: `nn.AvgPool2d` without padding (floor mode). It does not
/// commute with ReLU: a ReLU before it runs in the layer before, and its mask is applied in this layer's backward pass.
public struct AvgPool2d: AveragePooling {
    public static let name = "avgpool2d"
    public static let syntax = "avgpool2d(kernel_size, stride=kernel_size)"
    public static let summary = "nn.AvgPool2d without padding"
    public static let examples = ["avgpool2d(2)", "avgpool2d(3, stride=2)", "avgpool2d(2, stride=3)"]
    public let window: PoolingWindow

    public init(kernel: Int, stride: Int? = nil) { window = PoolingWindow(kernel: kernel, stride: stride) }

    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        window = try PoolingWindow(&arguments)
        try arguments.finish()
    }

    public var description: String { window.spec(Self.name) }

    public func poolShape(_ input: Shape, batch: Int) throws -> AvgPool2dShape {
        let (channels, height, width) = try window.fit(input)
        return AvgPool2dShape(batch: batch, channels: channels, height: height, width: width, kernelHeight: window.kernel,
                              kernelWidth: window.kernel, strideHeight: window.stride, strideWidth: window.stride)
    }
}

/// A layer that averages windows of each plane: `avgpool2d` and `adaptiveavgpool2d` share the twin, the native code and
/// the kernels of `Kernels/avgpool2d.cl`, and differ only in the windows they choose.
public protocol AveragePooling: Layer {
    /// The windows for `batch` samples of `input`, or why that input cannot be pooled.
    func poolShape(_ input: Shape, batch: Int) throws -> AvgPool2dShape
}

extension AveragePooling {
    public func outputShape(for input: Shape) throws -> Shape {
        let shape = try poolShape(input, batch: 1)
        return .image(channels: shape.channels, height: shape.outHeight, width: shape.outWidth)
    }

    /// Every input is read once per window it is in.
    public func multiplyAdds(for input: Shape) -> Int {
        (try? poolShape(input, batch: 1)).map { $0.outputCount * $0.windowSize } ?? 0
    }

    /// The windows of a stage's input: the model checked that they fit.
    func shape(_ input: Shape, batch: Int) -> AvgPool2dShape { try! poolShape(input, batch: batch) }

    public func referenceOperation(_ stage: Stage) -> ReferenceOperation {
        ReferenceAveragePooling(stage: stage, shape: { self.shape(stage.input, batch: $0) })
    }

    public static var kernelChecks: [KernelCheckEntry] { averagePoolingChecks }
}

private struct ReferenceAveragePooling: ReferenceOperation {
    let stage: Stage, shape: (Int) -> AvgPool2dShape

    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] {
        Reference.avgPool2dForward(x: x, shape: shape(rows))
    }

    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) {
        guard stage.needsInputGradient else { return (nil, []) }
        return (Reference.avgPool2dBackward(dy: dy, shape: shape(rows), reluOutput: stage.maskInputGradient ? x : nil), [])
    }
}
