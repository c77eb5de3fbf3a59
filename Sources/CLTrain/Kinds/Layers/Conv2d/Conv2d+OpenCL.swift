import CLKit

extension Conv2d {
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        try OpenCLConv2d(stage: stage, layer: self, library: library, rows: rows)
    }
}

private final class OpenCLConv2d: OpenCLOperation {
    let stage: Stage, layer: Conv2d, library: KernelLibrary

    init(stage: Stage, layer: Conv2d, library: KernelLibrary, rows: Int) throws {
        (self.stage, self.layer, self.library) = (stage, layer, library)
    }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], pass: Pass) throws {
        try library.conv2dForward(shape: layer.shape(stage.input, batch: rows), x: x, weight: parameters[0], bias: parameters[1],
                                  y: y, relu: stage.relu)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        try library.conv2dBackward(shape: layer.shape(stage.input, batch: rows), dy: dy, x: x, weight: parameters[0],
                                   dw: gradients[0], db: gradients[1], dx: dx,
                                   activation: stage.maskInputGradient ? x : nil)
    }
}
