import CLKit

extension AveragePooling {
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        OpenCLAveragePooling(stage: stage, library: library, shape: { self.shape(stage.input, batch: $0) })
    }
}

private final class OpenCLAveragePooling: OpenCLOperation {
    let stage: Stage, library: KernelLibrary, shape: (Int) -> AvgPool2dShape

    init(stage: Stage, library: KernelLibrary, shape: @escaping (Int) -> AvgPool2dShape) {
        (self.stage, self.library, self.shape) = (stage, library, shape)
    }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {
        try library.avgPool2dForward(shape: shape(rows), x: x, y: y)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        if let dx { try library.avgPool2dBackward(shape: shape(rows), dy: dy, x: x, mask: stage.maskInputGradient, dx: dx) }
    }
}
