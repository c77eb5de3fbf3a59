extension AveragePooling {
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation {
        NativeAveragePooling(stage: stage, shape: { self.shape(stage.input, batch: $0) })
    }
}

/// The kernels' loops on the host: a gather per output and per input, as `Kernels/avgpool2d.cl` runs them, the
/// planes split across the host workers (a sample's planes are consecutive, so the parts fall close to the layers
/// around's split by samples).
private final class NativeAveragePooling: NativeOperation {
    let stage: Stage, shape: (Int) -> AvgPool2dShape
    let workers = hostWorkers

    init(stage: Stage, shape: @escaping (Int) -> AvgPool2dShape) { (self.stage, self.shape) = (stage, shape) }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        let s = shape(rows), scale = 1 / Float(s.windowSize)
        inParallel(batch: s.planes, workers: workers) { _, planes in
            for plane in planes {
                for oh in 0..<s.outHeight {
                    for ow in 0..<s.outWidth {
                        let window = x + (plane * s.height + oh * s.strideHeight) * s.width + ow * s.strideWidth
                        var sum: Float = 0
                        for kh in 0..<s.kernelHeight {
                            for kw in 0..<s.kernelWidth { sum += window[kh * s.width + kw] }
                        }
                        y[(plane * s.outHeight + oh) * s.outWidth + ow] = sum * scale
                    }
                }
            }
        }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        guard let dx else { return }
        let s = shape(rows), mask = stage.maskInputGradient, windowSize = Float(s.windowSize)
        inParallel(batch: s.planes, workers: workers) { _, planes in
            for plane in planes {
                let grad = dy + plane * s.outHeight * s.outWidth
                for ih in 0..<s.height {
                    // The windows holding (ih, iw): oh·SH ≤ ih < oh·SH + KH, and the same across.
                    let ohFirst = max(0, (ih - s.kernelHeight + s.strideHeight) / s.strideHeight)
                    let ohLast = min(s.outHeight - 1, ih / s.strideHeight)
                    for iw in 0..<s.width {
                        let owFirst = max(0, (iw - s.kernelWidth + s.strideWidth) / s.strideWidth)
                        let owLast = min(s.outWidth - 1, iw / s.strideWidth)
                        var sum: Float = 0
                        if ohFirst <= ohLast && owFirst <= owLast {
                            for oh in ohFirst...ohLast {
                                for ow in owFirst...owLast { sum += grad[oh * s.outWidth + ow] }
                            }
                        }
                        let i = (plane * s.height + ih) * s.width + iw
                        dx[i] = mask && !(x[i] > 0) ? 0 : sum / windowSize
                    }
                }
            }
        }
    }
}
