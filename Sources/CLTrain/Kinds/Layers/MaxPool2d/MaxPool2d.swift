/// `maxpool2d(kernel_size, stride=kernel_size)`: `nn.MaxPool2d` without padding. The forward pass keeps which
/// input won each window, and the backward pass routes each gradient there. Max-pool commutes with ReLU, so a
/// ReLU before it is masked after it, by the next stage (see `Model`).
public struct MaxPool2d: Layer {
    public static let name = "maxpool2d"
    public static let syntax = "maxpool2d(kernel_size, stride=kernel_size)"
    public static let summary = "nn.MaxPool2d without padding; the winners stay on the device"
    public static let examples = ["maxpool2d(2)", "maxpool2d(3, stride=2)"]
    public let window: PoolingWindow
    public var kernel: Int { window.kernel }
    public var stride: Int { window.stride }

    public init(kernel: Int, stride: Int? = nil) { window = PoolingWindow(kernel: kernel, stride: stride) }

    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        window = try PoolingWindow(&arguments)
        try arguments.finish()
    }

    public var description: String { window.spec(Self.name) }
    public var commutesWithReLU: Bool { true }

    public func outputShape(for input: Shape) throws -> Shape {
        let (channels, _, _) = try window.fit(input)
        let shape = self.shape(input, batch: 1)
        return .image(channels: channels, height: shape.outHeight, width: shape.outWidth)
    }

    /// The winners' indices.
    public func scratchValues(for input: Shape, batch: Int, rows: Int, native: Bool) -> Int { shape(input, batch: rows).outputCount }

    func shape(_ input: Shape, batch: Int) -> MaxPool2dShape {
        let (channels, height, width) = input.image!
        return MaxPool2dShape(batch: batch, channels: channels, height: height, width: width, kernel: kernel, stride: stride)
    }

    public func referenceOperation(_ stage: Stage) -> ReferenceOperation { ReferenceMaxPool2d(stage: stage, layer: self) }
}

private struct ReferenceMaxPool2d: ReferenceOperation {
    let stage: Stage, layer: MaxPool2d

    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] {
        Reference.maxPool2dForward(x: x, shape: layer.shape(stage.input, batch: rows)).y
    }

    /// The winners are found again from `x`: the reference keeps no state between passes.
    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) {
        guard stage.needsInputGradient else { return (nil, []) }
        let shape = layer.shape(stage.input, batch: rows)
        return (Reference.maxPool2dBackward(dy: dy, indices: Reference.maxPool2dForward(x: x, shape: shape).indices, shape: shape), [])
    }
}
