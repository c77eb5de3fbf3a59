import CLKit

extension MaxPool2d {
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        try OpenCLMaxPool2d(stage: stage, layer: self, library: library, rows: rows)
    }
}

private final class OpenCLMaxPool2d: OpenCLOperation {
    let stage: Stage, layer: MaxPool2d, library: KernelLibrary
    /// Which input won each window in the last forward pass, for the backward pass.
    let indices: Buffer<Int32>

    init(stage: Stage, layer: MaxPool2d, library: KernelLibrary, rows: Int) throws {
        (self.stage, self.layer, self.library) = (stage, layer, library)
        indices = try Buffer(context: library.context, count: layer.shape(stage.input, batch: rows).outputCount)
    }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {
        try library.maxPool2dForward(shape: layer.shape(stage.input, batch: rows), x: x, y: y, indices: indices)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        if let dx { try library.maxPool2dBackward(shape: layer.shape(stage.input, batch: rows), dy: dy, indices: indices, dx: dx) }
    }
}
