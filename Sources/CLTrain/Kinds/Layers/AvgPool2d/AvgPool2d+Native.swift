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
    /// For each input row and column, the output rows (columns) whose windows hold it: the same for every plane and
    /// batch size, found once (with two integer divisions per input value, the backward pass was 1.6% of a ResNet-8
    /// `--cpu` epoch's perf samples; 1.1% now).
    let windowRows: [ClosedRange<Int>?], windowColumns: [ClosedRange<Int>?]

    init(stage: Stage, shape: @escaping (Int) -> AvgPool2dShape) {
        (self.stage, self.shape) = (stage, shape)
        let s = shape(1)
        // The windows holding i: o·stride ≤ i < o·stride + kernel.
        func windows(_ i: Int, kernel: Int, stride: Int, outputs: Int) -> ClosedRange<Int>? {
            let (first, last) = (max(0, (i - kernel + stride) / stride), min(outputs - 1, i / stride))
            return first <= last ? first...last : nil
        }
        windowRows = (0..<s.height).map { windows($0, kernel: s.kernelHeight, stride: s.strideHeight, outputs: s.outHeight) }
        windowColumns = (0..<s.width).map { windows($0, kernel: s.kernelWidth, stride: s.strideWidth, outputs: s.outWidth) }
    }

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
                    for iw in 0..<s.width {
                        var sum: Float = 0
                        if let rows = windowRows[ih], let columns = windowColumns[iw] {
                            for oh in rows {
                                for ow in columns { sum += grad[oh * s.outWidth + ow] }
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
