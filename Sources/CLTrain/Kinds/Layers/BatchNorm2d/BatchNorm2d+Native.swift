extension BatchNormalization {
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation {
        NativeBatchNorm(stage: stage, shape: { self.shape(stage.input, batch: $0) })
    }
}

/// The twins' arithmetic on the host, channel by channel (the channels split across the cores): each sample's run of
/// `spatial` values is summed in Float, eight running sums at a time, and the runs in Double.
private final class NativeBatchNorm: NativeOperation {
    let stage: Stage, shape: (Int) -> BatchNormShape
    /// Each channel's batch mean and 1/√(var + eps), saved by a training forward pass for the backward pass.
    let saved: UnsafeMutableBufferPointer<Float>
    let workers = hostWorkers

    init(stage: Stage, shape: @escaping (Int) -> BatchNormShape) {
        (self.stage, self.shape) = (stage, shape)
        saved = .allocate(capacity: 2 * shape(1).channels)
        saved.initialize(repeating: 0)
    }

    deinit { saved.deallocate() }

    /// Σ f(value) over channel `c`'s values, as one Float sum per sample's run. Eight sums, not one: a single Float sum
    /// is a chain of dependent additions that the compiler may not reorder, and the batch norms took 14% of a ResNet-8
    /// step with --cpu (perf), the largest share after the products and im2col.
    private func sum(_ s: BatchNormShape, _ c: Int, _ f: (Int) -> Float) -> Double {
        var total = 0.0
        for n in 0..<s.batch {
            let start = (n * s.channels + c) * s.spatial, end = start + s.spatial
            var lanes = SIMD8<Float>(), i = start
            while i + 8 <= end {
                lanes += SIMD8(f(i), f(i + 1), f(i + 2), f(i + 3), f(i + 4), f(i + 5), f(i + 6), f(i + 7))
                i += 8
            }
            var run = lanes.sum()
            while i < end {
                run += f(i)
                i += 1
            }
            total += Double(run)
        }
        return total
    }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        let s = shape(rows), channels = s.channels, training = pass != .evaluation, relu = stage.relu
        let (weight, bias, runningMean, runningVar) = (parameters, parameters + channels, buffers, buffers + channels)
        let (means, invStds) = (saved.baseAddress!, saved.baseAddress! + channels)
        inParallel(batch: channels, workers: workers) { _, part in
            for c in part {
                var mean = runningMean[c], variance = runningVar[c]
                if training {
                    let n = Double(s.perChannel)
                    let batchMean = sum(s, c) { x[$0] } / n
                    let m = Float(batchMean)
                    let biased = sum(s, c) { (x[$0] - m) * (x[$0] - m) } / n
                    let momentum = Double(s.momentum)
                    runningMean[c] = Float((1 - momentum) * Double(runningMean[c]) + momentum * batchMean)
                    runningVar[c] = Float((1 - momentum) * Double(runningVar[c]) + momentum * biased * n / (n - 1))
                    (mean, variance) = (m, Float(biased))
                }
                let invStd = 1 / (variance + s.eps).squareRoot()
                (means[c], invStds[c]) = (mean, invStd)
                let scale = weight[c] * invStd, shift = bias[c] - mean * scale
                for n in 0..<s.batch {
                    let start = (n * channels + c) * s.spatial
                    for i in start..<(start + s.spatial) {
                        let value = x[i] * scale + shift
                        y[i] = relu ? max(value, 0) : value
                    }
                }
            }
        }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        let s = shape(rows), channels = s.channels, mask = stage.maskInputGradient
        let (means, invStds) = (saved.baseAddress!, saved.baseAddress! + channels)
        inParallel(batch: channels, workers: workers) { _, part in
            for c in part {
                let mean = means[c], invStd = invStds[c], n = Float(s.perChannel)
                let sumDy = Float(sum(s, c) { dy[$0] })
                let sumDyXHat = Float(sum(s, c) { dy[$0] * (x[$0] - mean) }) * invStd
                (gradients[c], gradients[channels + c]) = (sumDyXHat, sumDy)
                guard let dx else { continue }
                let scale = parameters[c] * invStd, meanDy = sumDy / n, slope = sumDyXHat / n * invStd
                for j in 0..<s.batch {
                    let start = (j * channels + c) * s.spatial
                    for i in start..<(start + s.spatial) {
                        let value = scale * (dy[i] - meanDy - (x[i] - mean) * slope)
                        dx[i] = mask && !(x[i] > 0) ? 0 : value
                    }
                }
            }
        }
    }
}
