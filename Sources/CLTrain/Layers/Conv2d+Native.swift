extension Conv2d {
    public func nativeOperation(_ stage: Stage, rows: Int) -> NativeOperation { NativeConv2d(stage: stage, layer: self, rows: rows) }
}

private final class NativeConv2d: NativeOperation {
    let stage: Stage, layer: Conv2d
    let scratch: UnsafeMutableBufferPointer<Float>

    init(stage: Stage, layer: Conv2d, rows: Int) {
        (self.stage, self.layer) = (stage, layer)
        scratch = .allocate(capacity: Conv2dNative.scratchCount(layer.shape(stage.input, batch: rows)))
    }

    deinit { scratch.deallocate() }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>, pass: Pass) {
        let shape = layer.shape(stage.input, batch: rows)
        Conv2dNative.forward(shape: shape, x: x, weight: parameters, bias: parameters + shape.weightCount,
                             scratch: scratch.baseAddress!, y: y, relu: stage.relu)
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        let shape = layer.shape(stage.input, batch: rows)
        Conv2dNative.backward(shape: shape, dy: dy, x: x, weight: parameters, scratch: scratch.baseAddress!, dw: gradients,
                              db: gradients + shape.weightCount, dx: dx, activation: stage.maskInputGradient ? x : nil)
    }
}
