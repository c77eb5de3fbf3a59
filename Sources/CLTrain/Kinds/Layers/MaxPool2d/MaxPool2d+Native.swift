extension MaxPool2d {
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation { NativeMaxPool2d(stage: stage, layer: self, rows: rows) }
}

private final class NativeMaxPool2d: NativeOperation {
    let stage: Stage, layer: MaxPool2d
    /// Which input won each window in the last forward pass, for the backward pass.
    let indices: UnsafeMutableBufferPointer<Int32>
    let workers = hostWorkers

    init(stage: Stage, layer: MaxPool2d, rows: Int) {
        (self.stage, self.layer) = (stage, layer)
        indices = .allocate(capacity: layer.shape(stage.input, batch: rows).outputCount)
    }

    deinit { indices.deallocate() }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        MaxPool2dNative.forward(shape: layer.shape(stage.input, batch: rows), x: x, y: y, indices: indices.baseAddress!,
                                workers: workers)
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        if let dx {
            MaxPool2dNative.backward(shape: layer.shape(stage.input, batch: rows), dy: dy, indices: indices.baseAddress!, dx: dx,
                                     workers: workers)
        }
    }
}
