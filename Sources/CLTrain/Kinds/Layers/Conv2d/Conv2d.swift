/// `conv2d(out_channels, kernel_size, stride=1, padding=0, bias=true)`: `nn.Conv2d` on an image (channels × height ×
/// width), square kernels, weight [out, in, kH, kW] and bias [out] as PyTorch stores them. Without a bias (before a
/// batch norm, whose shift makes one redundant) the kernels add zeros and their bias gradient is left unused.
public struct Conv2d: Layer {
    public static let name = "conv2d"
    public static let syntax = "conv2d(out_channels, kernel_size, stride=1, padding=0, bias=true)"
    public static let summary = "nn.Conv2d with square kernels; weight [out, in, kH, kW]"
    public static let inputArgument: String? = "in_channels"
    public static let examples = ["conv2d(4, 3, stride=2, padding=1)", "conv2d(2, 2)", "conv2d(3, 1, bias=false)"]
    public let outChannels: Int, kernel: Int, stride: Int, padding: Int, bias: Bool

    public init(outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        (self.outChannels, self.kernel, self.stride, self.padding, self.bias) = (outChannels, kernel, stride, padding, bias)
    }

    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        outChannels = try arguments.take("out_channels", where: { (1...65_536).contains($0) }, "a count from 1 to 65536")
        kernel = try arguments.take("kernel_size", where: { (1...64).contains($0) }, "a size from 1 to 64")
        stride = try arguments.take("stride", default: 1, where: { (1...64).contains($0) }, "a step from 1 to 64")
        padding = try arguments.take("padding", default: 0, where: { (0...64).contains($0) }, "a size from 0 to 64")
        // PyTorch's spelling (False) as well as the spec's own (false).
        bias = try arguments.take("bias", default: "true", where: { ["true", "false", "True", "False"].contains($0) },
                                  "true or false").lowercased() == "true"
        try arguments.finish()
    }

    public var description: String {
        "conv2d(\(outChannels), \(kernel)" + (stride == 1 ? "" : ", stride=\(stride)") + (padding == 0 ? "" : ", padding=\(padding)")
            + (bias ? "" : ", bias=false") + ")"
    }

    public var absorbsReLU: Bool { true }

    public func outputShape(for input: Shape) throws -> Shape {
        guard let (_, height, width) = input.image else {
            throw LayerShapeError("needs an image (channels×height×width) but gets \(input); put it before flatten")
        }
        guard height + 2 * padding >= kernel, width + 2 * padding >= kernel else {
            throw LayerShapeError("has a \(kernel)×\(kernel) kernel, larger than its \(height)×\(width) input with padding \(padding)")
        }
        let shape = self.shape(input, batch: 1)
        return .image(channels: outChannels, height: shape.outHeight, width: shape.outWidth)
    }

    /// The twins' and kernels' description of this layer on `batch` samples of `input`.
    func shape(_ input: Shape, batch: Int) -> Conv2dShape {
        let (channels, height, width) = input.image!
        return Conv2dShape(batch: batch, inChannels: channels, height: height, width: width, outChannels: outChannels,
                           kernel: kernel, stride: stride, padding: padding)
    }

    public func multiplyAdds(for input: Shape) -> Int { shape(input, batch: 1).outputCount * input.image!.channels * kernel * kernel }

    /// The native backend's patch matrices of a training batch (its per-worker chunks are small beside them); on
    /// OpenCL, the weight gradient's partial sums for a sliced batch and its channels-last copy of the input (sized
    /// for `rows`, as the operation does).
    public func scratchValues(for input: Shape, batch: Int, rows: Int, native: Bool) -> Int {
        if native { return Conv2dNative.patchesCount(shape(input, batch: batch)) }
        let shape = shape(input, batch: rows)
        return Conv2d.sliceScratchCount(shape) + Conv2d.channelsLastCount(shape)
    }

    public func parameters(for input: Shape) -> [(name: String, shape: [Int])] {
        [("weight", [outChannels, input.image!.channels, kernel, kernel])] + (bias ? [("bias", [outChannels])] : [])
    }

    /// `nn.Conv2d`'s default (Kaiming-uniform with a = √5): weights, then biases, uniform in ±1/sqrt(fan_in),
    /// fan_in = in_channels·kH·kW.
    public func initialValues(for input: Shape, using generator: inout SeededGenerator) -> [Float] {
        let fanIn = input.image!.channels * kernel * kernel, bound = 1 / Float(fanIn).squareRoot()
        return (0..<(outChannels * (fanIn + (bias ? 1 : 0)))).map { _ in Float.random(in: -bound..<bound, using: &generator) }
    }

    /// The bias the kernels add: the layer's own, or zeros.
    func biasValues(_ parameters: ArraySlice<Float>, _ shape: Conv2dShape) -> [Float] {
        bias ? Array(parameters.suffix(shape.outChannels)) : [Float](repeating: 0, count: shape.outChannels)
    }

    public func referenceOperation(_ stage: Stage) -> ReferenceOperation { ReferenceConv2d(stage: stage, layer: self) }
}

private struct ReferenceConv2d: ReferenceOperation {
    let stage: Stage, layer: Conv2d

    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] {
        let shape = layer.shape(stage.input, batch: rows)
        return Reference.conv2dForward(x: x, weight: Array(parameters.prefix(shape.weightCount)),
                                       bias: layer.biasValues(parameters, shape), shape: shape, relu: stage.relu)
    }

    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) {
        let shape = layer.shape(stage.input, batch: rows)
        let dx = stage.needsInputGradient
            ? Reference.conv2dBackwardInput(dy: dy, weight: Array(parameters.prefix(shape.weightCount)), shape: shape,
                                            reluOutput: stage.maskInputGradient ? x : nil)
            : nil
        return (dx, Reference.conv2dBackwardWeight(dy: dy, x: x, shape: shape)
                    + (layer.bias ? Reference.conv2dBackwardBias(dy: dy, shape: shape) : []))
    }
}
