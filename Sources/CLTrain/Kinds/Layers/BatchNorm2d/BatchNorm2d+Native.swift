extension BatchNormalization {
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation {
        NativeBatchNorm(stage: stage, batch: batch, shape: { self.shape(stage.input, batch: $0) })
    }
}

/// The twins' arithmetic on the host: each sample's run of `spatial` values of a channel is summed in Float, eight
/// running sums at a time, and a channel's runs in Double, in sample order. The workers split the batch by samples,
/// as the convolutions around it do, so that every value stays on the core that wrote it: each sums its samples'
/// runs into `runs`, then every worker adds up all the channels' runs for itself (a few thousand additions) and
/// normalizes its own samples. Split by channels, every pass read half its values from the other core.
private final class NativeBatchNorm: NativeOperation {
    let stage: Stage, shape: (Int) -> BatchNormShape
    /// Each channel's batch mean and 1/√(var + eps), saved by a training forward pass for the backward pass.
    let saved: UnsafeMutableBufferPointer<Float>
    /// Two passes' run sums, per sample and channel, for a training batch.
    let runs: UnsafeMutableBufferPointer<Float>
    /// Per worker, two values per channel it computes for itself: the batch means, then the scales and shifts; or
    /// the backward pass's mean gradient and slope.
    let perWorker: UnsafeMutableBufferPointer<Float>
    let workers = hostWorkers

    init(stage: Stage, batch: Int, shape: @escaping (Int) -> BatchNormShape) {
        (self.stage, self.shape) = (stage, shape)
        let largest = shape(batch)
        saved = .allocate(capacity: 2 * largest.channels)
        saved.initialize(repeating: 0)
        runs = .allocate(capacity: 2 * largest.batch * largest.channels)
        perWorker = .allocate(capacity: 2 * workers * largest.channels)
    }

    deinit {
        saved.deallocate()
        runs.deallocate()
        perWorker.deallocate()
    }

    /// `runs[n, c]` = Σ f(c, i) over sample n's run of channel c, for the samples given. Eight sums, not one: a
    /// single Float sum is a chain of dependent additions that the compiler may not reorder.
    private static func sumRuns(_ s: BatchNormShape, _ samples: Range<Int>, into runs: UnsafeMutablePointer<Float>,
                                _ f: (Int, Int) -> Float) {
        for n in samples {
            for c in 0..<s.channels {
                let start = (n * s.channels + c) * s.spatial, end = start + s.spatial
                var lanes = SIMD8<Float>(), i = start
                while i + 8 <= end {
                    lanes += SIMD8(f(c, i), f(c, i + 1), f(c, i + 2), f(c, i + 3), f(c, i + 4), f(c, i + 5), f(c, i + 6),
                                   f(c, i + 7))
                    i += 8
                }
                var run = lanes.sum()
                while i < end {
                    run += f(c, i)
                    i += 1
                }
                runs[n * s.channels + c] = run
            }
        }
    }

    /// Channel c's total over all samples' runs, in Double, in sample order.
    private static func total(_ runs: UnsafePointer<Float>, _ s: BatchNormShape, _ c: Int) -> Double {
        var total = 0.0
        for n in 0..<s.batch { total += Double(runs[n * s.channels + c]) }
        return total
    }

    /// out[i] = f(c, value) over each run of `samples`, eight values at a time.
    private static func mapRuns(_ s: BatchNormShape, _ samples: Range<Int>, into out: UnsafeMutablePointer<Float>,
                                whole: (Int, Int) -> Lanes, tail: (Int, Int) -> Float) {
        for n in samples {
            for c in 0..<s.channels {
                let start = (n * s.channels + c) * s.spatial
                forEachLanes(in: start..<(start + s.spatial), whole: { out.store(whole(c, $0), at: $0) },
                             tail: { out[$0] = tail(c, $0) })
            }
        }
    }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        let s = shape(rows), channels = s.channels, relu = stage.relu, n = Double(s.perChannel)
        let (weight, bias, runningMean, runningVar) = (parameters, parameters + channels, buffers, buffers + channels)
        let (means, invStds) = (saved.baseAddress!, saved.baseAddress! + channels)
        let (sums, squares) = (runs.baseAddress!, runs.baseAddress! + s.batch * channels)
        let training = pass != .evaluation
        if training {
            inParallel(batch: s.batch, workers: workers) { _, samples in Self.sumRuns(s, samples, into: sums) { x[$1] } }
            inParallel(batch: s.batch, workers: workers) { part, samples in
                let batchMeans = perWorker.baseAddress! + 2 * part * channels
                for c in 0..<channels { batchMeans[c] = Float(Self.total(sums, s, c) / n) }
                Self.sumRuns(s, samples, into: squares) { c, i in (x[i] - batchMeans[c]) * (x[i] - batchMeans[c]) }
            }
        }
        inParallel(batch: s.batch, workers: workers) { part, samples in
            // The same part runs on the same thread in every job: its batch means are where the last job left them,
            // and the scales take their place once read.
            let (scale, shift) = (perWorker.baseAddress! + 2 * part * channels, perWorker.baseAddress! + (2 * part + 1) * channels)
            for c in 0..<channels {
                let mean: Float, variance: Float
                if !training {
                    (mean, variance) = (runningMean[c], runningVar[c])
                } else {
                    let biased = Self.total(squares, s, c) / n
                    (mean, variance) = (scale[c], Float(biased))
                    // Part 0 alone updates the running statistics, which no part reads in a training pass.
                    if part == 0 {
                        let batchMean = Self.total(sums, s, c) / n, momentum = Double(s.momentum)
                        runningMean[c] = Float((1 - momentum) * Double(runningMean[c]) + momentum * batchMean)
                        runningVar[c] = Float((1 - momentum) * Double(runningVar[c]) + momentum * biased * n / (n - 1))
                    }
                }
                let invStd = 1 / (variance + s.eps).squareRoot()
                if part == 0 { (means[c], invStds[c]) = (mean, invStd) }
                scale[c] = weight[c] * invStd
                shift[c] = bias[c] - mean * scale[c]
            }
            Self.mapRuns(s, samples, into: y, whole: { c, i in
                let value = x.lanes(i) * scale[c] + shift[c]
                return relu ? value.relu : value
            }, tail: { c, i in
                let value = x[i] * scale[c] + shift[c]
                return relu ? max(value, 0) : value
            })
        }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        let s = shape(rows), channels = s.channels, mask = stage.maskInputGradient, n = Float(s.perChannel)
        let (means, invStds) = (UnsafePointer(saved.baseAddress!), UnsafePointer(saved.baseAddress! + channels))
        let (sums, products) = (runs.baseAddress!, runs.baseAddress! + s.batch * channels)
        inParallel(batch: s.batch, workers: workers) { _, samples in
            Self.sumRuns(s, samples, into: sums) { dy[$1] }
            Self.sumRuns(s, samples, into: products) { c, i in dy[i] * (x[i] - means[c]) }
        }
        inParallel(batch: s.batch, workers: workers) { part, samples in
            let (meanDy, slope) = (perWorker.baseAddress! + 2 * part * channels, perWorker.baseAddress! + (2 * part + 1) * channels)
            for c in 0..<channels {
                let sumDy = Float(Self.total(sums, s, c)), sumDyXHat = Float(Self.total(products, s, c)) * invStds[c]
                if part == 0 { (gradients[c], gradients[channels + c]) = (sumDyXHat, sumDy) }
                (meanDy[c], slope[c]) = (sumDy / n, sumDyXHat / n * invStds[c])
            }
            guard let dx else { return }
            Self.mapRuns(s, samples, into: dx, whole: { c, i in
                let input = x.lanes(i), scale = parameters[c] * invStds[c]
                let value = scale * (dy.lanes(i) - meanDy[c] - (input - means[c]) * slope[c])
                return mask ? value.replacing(with: 0, where: .!(input .> 0)) : value
            }, tail: { c, i in
                let value = parameters[c] * invStds[c] * (dy[i] - meanDy[c] - (x[i] - means[c]) * slope[c])
                return mask && !(x[i] > 0) ? 0 : value
            })
        }
    }
}
