import CLKit

extension Linear {
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        OpenCLLinear(stage: stage, library: library)
    }
}

private final class OpenCLLinear: OpenCLOperation {
    let stage: Stage, library: KernelLibrary
    let inputs: Int, outputs: Int

    init(stage: Stage, library: KernelLibrary) {
        (self.stage, self.library) = (stage, library)
        (inputs, outputs) = (stage.input.count, stage.output.count)
    }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {
        try library.matmulForward(rows: rows, inputs: inputs, outputs: outputs, x: x, weight: parameters[0],
                                  bias: parameters[1], y: y, relu: stage.relu)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        try library.matmulBackward(rows: rows, inputs: inputs, outputs: outputs, dy: dy, weight: parameters[0], x: x,
                                   activation: stage.maskInputGradient ? x : nil, dx: dx, dw: gradients[0], db: gradients[1])
    }
}
