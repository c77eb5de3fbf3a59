import CLKit

extension BatchNormalization {
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        try OpenCLBatchNorm(stage: stage, library: library, shape: { self.shape(stage.input, batch: $0) })
    }
}

private final class OpenCLBatchNorm: OpenCLOperation {
    let stage: Stage, library: KernelLibrary, shape: (Int) -> BatchNormShape
    /// Each channel's batch mean and 1/√(var + eps), from the training forward pass for the backward pass.
    let saved: Buffer<Float>

    init(stage: Stage, library: KernelLibrary, shape: @escaping (Int) -> BatchNormShape) throws {
        (self.stage, self.library, self.shape) = (stage, library, shape)
        saved = try Buffer(context: library.context, values: [Float](repeating: 0, count: 2 * shape(1).channels))
    }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {
        try library.batchNormForward(shape: shape(rows), x: x, weightAndBias: parameters, runningStatistics: buffers, saved: saved,
                                     y: y, training: pass != .evaluation, relu: stage.relu)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        try library.batchNormBackward(shape: shape(rows), x: x, dy: dy, weight: parameters[0], saved: saved, gradients: gradients,
                                      dx: dx, mask: stage.maskInputGradient)
    }
}
