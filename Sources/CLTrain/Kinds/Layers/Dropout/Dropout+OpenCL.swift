import CLKit

extension Dropout {
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        OpenCLDropout(stage: stage, layer: self, library: library)
    }
}

private final class OpenCLDropout: OpenCLOperation {
    let stage: Stage, layer: Dropout, library: KernelLibrary

    init(stage: Stage, layer: Dropout, library: KernelLibrary) { (self.stage, self.layer, self.library) = (stage, layer, library) }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {
        let count = rows * stage.input.count
        guard let mask = layer.mask(stage, pass) else { return try y.copy(from: x, count: count) }
        try library.dropoutForward(count: count, x: x, y: y, mask: mask)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        guard let dx, let mask = layer.mask(stage, pass) else { return }
        // After a ReLU, the forward output tells which values were kept: no need to draw the mask again. Without
        // one, the gradient is the forward pass applied to dy.
        if stage.maskInputGradient {
            try library.dropoutBackwardAfterReLU(count: rows * stage.input.count, x: x, y: y, dy: dy, dx: dx, mask: mask)
        } else {
            try library.dropoutForward(count: rows * stage.input.count, x: dy, y: dx, mask: mask)
        }
    }
}

extension KernelLibrary {
    /// The mask's step is the step record's (`stepRecord`), which the caller wrote with `mask.step`.
    @discardableResult
    public func dropoutForward(count: Int, x: Buffer<Float>, y: Buffer<Float>, mask: DropoutMask) throws -> Event? {
        try launch("dropout_forward", global: linear((count + 16 * Dropout.chains - 1) / (16 * Dropout.chains)), Int32(count), x, y,
                   mask.threshold, mask.scale, mask.key.0, mask.key.1, mask.layer, stepRecord)
    }

    /// The backward pass after a ReLU: `dy` through the mask, and 0 where `x` (the ReLU output) is not positive; `y`
    /// is the forward pass's output, non-zero exactly where a positive value was kept.
    @discardableResult
    public func dropoutBackwardAfterReLU(count: Int, x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>,
                                         mask: DropoutMask) throws -> Event? {
        try launch("dropout_backward_after_relu", global: linear((count + 15) / 16), Int32(count), x, y, dy, dx, mask.scale)
    }
}
