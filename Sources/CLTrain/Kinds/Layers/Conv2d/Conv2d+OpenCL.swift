import CLKit

extension Conv2d {
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        try OpenCLConv2d(stage: stage, layer: self, library: library, rows: rows)
    }
}

private final class OpenCLConv2d: OpenCLOperation {
    let stage: Stage, layer: Conv2d, library: KernelLibrary
    /// Without a bias: zeros for the forward kernel to add, and a place for the bias gradient nobody reads.
    let zeroBias: Buffer<Float>?, unusedBiasGradient: Buffer<Float>?
    /// The weight gradient's partial sums where a tuned choice slices the batch (`Conv2d.sliceScratchCount`).
    let partials: Buffer<Float>?
    /// The input's channels-last copy the weight gradient reads where the shape runs channels last
    /// (`Conv2d.channelsLastCount`).
    let channelsLast: Buffer<Float>?

    init(stage: Stage, layer: Conv2d, library: KernelLibrary, rows: Int) throws {
        (self.stage, self.layer, self.library) = (stage, layer, library)
        let zeros = [Float](repeating: 0, count: layer.outChannels)
        zeroBias = layer.bias ? nil : try Buffer(context: library.context, values: zeros)
        unusedBiasGradient = layer.bias ? nil : try Buffer(context: library.context, values: zeros)
        let shape = layer.shape(stage.input, batch: rows)
        let scratch = Conv2d.sliceScratchCount(shape), copy = Conv2d.channelsLastCount(shape)
        partials = scratch > 0 ? try Buffer(context: library.context, count: scratch) : nil
        channelsLast = copy > 0 ? try Buffer(context: library.context, count: copy) : nil
    }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {
        try library.conv2dForward(shape: layer.shape(stage.input, batch: rows), x: x, weight: parameters[0], bias: zeroBias ?? parameters[1],
                                  y: y, relu: stage.relu)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        try library.conv2dBackward(shape: layer.shape(stage.input, batch: rows), dy: dy, x: x, weight: parameters[0],
                                   dw: gradients[0], db: unusedBiasGradient ?? gradients[1], dx: dx,
                                   activation: stage.maskInputGradient ? x : nil, partials: partials,
                                   channelsLast: channelsLast)
    }
}
