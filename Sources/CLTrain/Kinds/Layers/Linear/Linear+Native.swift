extension Linear {
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation {
        NativeLinear(stage: stage, workers: hostWorkers, batch: batch)
    }

    /// Host workers that own a layer's `outputs`: one for a layer narrower than two runs of 16.
    static func hostParts(_ outputs: Int, workers: Int) -> Int { max(1, min(workers, outputs / 16)) }
}

/// The three products are `cblas_sgemm` calls reading W transposed in place, with bias, ReLU and the input's ReLU
/// mask as passes over their results, in `Lanes`. The host workers split the layer by its outputs, and each keeps
/// its rows of W for the whole run: it alone computes with them, takes their gradients and updates them
/// (`updateShare`). A cache line written on one core and read on the other costs some 30 ns here (updating 436 KB
/// the other core had just read: 53–62 µs, against 7 µs), so splitting by samples, where every core reads all of
/// W and the update then writes it, spent more in moving W between the cores than it saved. Only activations cross
/// now: the input, and each worker's term of the input gradient, which are summed by columns in worker order (so
/// the input gradient's last bits depend on the thread count, as the convolutions' weight gradients already did).
/// A layer too narrow to split by outputs (a classifier's 10) splits its forward pass by samples instead: its W is
/// a few KB, and evaluation runs it over 1,000 rows at a time.
private final class NativeLinear: NativeOperation {
    let stage: Stage, inputs: Int, outputs: Int
    let workers: Int
    /// Workers that own outputs (`Linear.hostParts`), and the column ranges of the input gradient's sum.
    let parts: Int, columnParts: Int
    /// Every worker but the first's term of the input gradient for a training batch, summed into `dx`.
    let partials: UnsafeMutableBufferPointer<Float>

    init(stage: Stage, workers: Int, batch: Int) {
        (self.stage, self.workers) = (stage, workers)
        (inputs, outputs) = (stage.input.count, stage.output.count)
        parts = Linear.hostParts(outputs, workers: workers)
        // As a linear layer before splits its outputs (this layer's inputs), so each worker masks with the x it computed.
        columnParts = Linear.hostParts(inputs, workers: workers)
        partials = .allocate(capacity: stage.needsInputGradient ? max((parts - 1) * batch * inputs, 1) : 1)
    }

    deinit { partials.deallocate() }

    /// The outputs worker `part` owns.
    private func features(_ part: Int) -> Range<Int> { share(outputs, part: part, of: parts) }

    func updateShare(part: Int, of workers: Int, count: Int) -> [Range<Int>] {
        guard part < parts else { return [] }
        let features = features(part), bias = outputs * inputs
        return [(features.lowerBound * inputs)..<(features.upperBound * inputs),
                (bias + features.lowerBound)..<(bias + features.upperBound)]
    }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        let bias = parameters + outputs * inputs, relu = stage.relu
        // Y[samples, features] = X[samples] · W[features]ᵀ + b[features], then the ReLU.
        func block(_ samples: Range<Int>, _ features: Range<Int>) {
            gemm(x + samples.lowerBound * inputs, parameters + features.lowerBound * inputs, transposeB: true,
                 into: y + samples.lowerBound * outputs + features.lowerBound, m: samples.count, n: features.count,
                 k: inputs, rowLengths: (inputs, inputs, outputs))
            for n in samples {
                let row = y + n * outputs
                forEachLanes(in: features, whole: { o in
                    let sum = UnsafePointer(row).lanes(o) + bias.lanes(o)
                    row.store(relu ? sum.relu : sum, at: o)
                }, tail: { o in
                    row[o] = relu ? max(row[o] + bias[o], 0) : row[o] + bias[o]
                })
            }
        }
        if parts > 1 {
            inParallel(parts: parts) { block(0..<rows, features($0)) }
        } else {
            inParallel(batch: rows, workers: workers) { block($1, 0..<outputs) }
        }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        let db = gradients + outputs * inputs
        inParallel(parts: parts) { part in
            // dW[features] = dY[:, features]ᵀ · X, and db[features].
            let features = features(part)
            gemm(dy + features.lowerBound, transposeA: true, x, into: gradients + features.lowerBound * inputs,
                 m: features.count, n: inputs, k: rows, rowLengths: (outputs, inputs, inputs))
            forEachLanes(in: features, whole: { o in
                var sum = Lanes()
                for n in 0..<rows { sum += dy.lanes(n * outputs + o) }
                db.store(sum, at: o)
            }, tail: { o in
                db[o] = 0
                for n in 0..<rows { db[o] += dy[n * outputs + o] }
            })
            // This part's term of dX = dY · W: dY[:, features] · W[features].
            guard let dx else { return }
            gemm(dy + features.lowerBound, parameters + features.lowerBound * inputs,
                 into: part == 0 ? dx : partials.baseAddress! + (part - 1) * rows * inputs,
                 m: rows, n: inputs, k: features.count, rowLengths: (outputs, inputs, inputs))
        }
        guard let dx else { return }
        // The terms summed in part order, by columns, then through the ReLU that produced X.
        let mask = stage.maskInputGradient
        guard parts > 1 || mask else { return }
        inParallel(parts: columnParts) { part in
            let columns = share(inputs, part: part, of: columnParts)
            for n in 0..<rows {
                let row = dx + n * inputs, input = x + n * inputs
                func term(_ t: Int) -> UnsafePointer<Float> { UnsafePointer(partials.baseAddress! + ((t - 1) * rows + n) * inputs) }
                forEachLanes(in: columns, whole: { j in
                    var sum = UnsafePointer(row).lanes(j)
                    for t in 1..<parts { sum += term(t).lanes(j) }
                    if mask { sum.replace(with: 0, where: input.lanes(j) .<= 0) }
                    row.store(sum, at: j)
                }, tail: { j in
                    for t in 1..<parts { row[j] += term(t)[j] }
                    if mask && input[j] <= 0 { row[j] = 0 }
                })
            }
        }
    }
}
