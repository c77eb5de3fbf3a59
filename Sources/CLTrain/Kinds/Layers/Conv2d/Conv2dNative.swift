/// The `--cpu` convolution: the operations of `Reference.conv2dForward` / `conv2dBackward*` as im2col + one
/// `cblas_sgemm` per chunk of samples. The chunk's patch matrix is (patchSize, samples·pixels), row (c, kh, kw),
/// column (sample, oh, ow), so `Y (O, samples·pixels) = W (O, patchSize) · columns`, then copied into NCHW with the
/// bias and ReLU. A chunk's patch matrix fits in a core's L2 cache, so its product reads it while it is still
/// there (one product over a whole batch's, 5 MB for LeNet-5's first layer, read it back from memory), and its
/// products stay wide enough for OpenBLAS's fast kernels (one per sample, 6×784×25, was mostly call overhead).
/// A training step keeps the chunks' matrices side by side for the backward pass, which reads each once.
/// Building ResNet-8's stride-1 blocks as one copy of a run of x each (a memcpy, not rows of 28 floats), and adding
/// their gradients back the same way, measured no faster (`--cpu`, epoch 2 of 6,016 images scaled: 41.2 s against
/// 41.4, 4 alternated rounds): the copies are bound by the patch matrices' memory traffic, not by their loops.
public enum Conv2dNative {
    /// Floats of patch matrix per chunk: 512 KiB.
    static let chunkFloats = 128 * 1024

    /// Samples one patch matrix covers.
    static func chunk(_ shape: Conv2dShape) -> Int {
        max(1, min(shape.batch, chunkFloats / (shape.patchSize * shape.outHeight * shape.outWidth)))
    }

    /// Floats of the scratch `forward` and `backward` need for `shape` (at any batch up to `shape.batch`): a
    /// chunk's patch matrix and (O, samples·pixels) product.
    public static func scratchCount(_ shape: Conv2dShape) -> Int {
        chunk(shape) * shape.outHeight * shape.outWidth * (shape.patchSize + shape.outChannels)
    }

    /// Floats of the patch matrices of a whole batch, which `forward` can keep for `backward`.
    public static func patchesCount(_ shape: Conv2dShape) -> Int {
        shape.batch * shape.outHeight * shape.outWidth * shape.patchSize
    }

    /// y (NCHW) = conv(x) + bias, then ReLU if `relu`. `scratch` holds `workers` times `scratchCount` floats. With
    /// `patches` (`patchesCount` floats), the patch matrices are built there and kept, for `backward`.
    public static func forward(shape: Conv2dShape, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int = 1,
                               patches: UnsafeMutablePointer<Float>? = nil, y: UnsafeMutablePointer<Float>, relu: Bool) {
        let pixels = shape.outHeight * shape.outWidth, image = shape.inChannels * shape.height * shape.width
        let chunk = chunk(shape), scratchCount = scratchCount(shape)
        inParallel(batch: shape.batch, workers: workers) { part, range in
            let scratch = scratch + part * scratchCount
            for first in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                let samples = min(chunk, range.upperBound - first), width = samples * pixels
                let columns = patches.map { $0 + first * pixels * shape.patchSize } ?? scratch
                let product = scratch + shape.patchSize * chunk * pixels
                im2col(shape, x + first * image, samples: samples, into: columns)
                gemm(weight, UnsafePointer(columns), into: product, m: shape.outChannels, n: width, k: shape.patchSize)
                for sample in 0..<samples {
                    for o in 0..<shape.outChannels {
                        let from = UnsafePointer(product + o * width + sample * pixels), b = bias[o]
                        let to = y + ((first + sample) * shape.outChannels + o) * pixels
                        forEachLanes(in: 0..<pixels, whole: { p in
                            let value = from.lanes(p) + b
                            to.store(relu ? value.relu : value, at: p)
                        }, tail: { p in
                            to[p] = relu ? max(from[p] + b, 0) : from[p] + b
                        })
                    }
                }
            }
        }
    }

    /// Floats of the per-worker gradient sums `backward` needs besides `dw` and `db` for `workers` workers.
    public static func partialCount(_ shape: Conv2dShape, workers: Int) -> Int {
        max(workers - 1, 0) * (shape.weightCount + shape.outChannels)
    }

    /// dw and db (overwritten; no db for a layer without bias) from dy (NCHW) and the layer's input x; when `dx` is
    /// given, the input gradient too,
    /// zeroed where `activation` (the layer's input, when it is a ReLU output) is ≤ 0. Each worker but the first
    /// sums its part's weight and bias gradients into its slice of `partials` (`partialCount` floats), added at the end.
    /// `patches`, when given, are the patch matrices `forward` kept for this x with as many workers; else they are
    /// built again.
    public static func backward(shape: Conv2dShape, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int = 1,
                                partials: UnsafeMutablePointer<Float>? = nil, patches: UnsafePointer<Float>? = nil,
                                dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, activation: UnsafePointer<Float>?) {
        let pixels = shape.outHeight * shape.outWidth, image = shape.inChannels * shape.height * shape.width
        let chunk = chunk(shape), scratchCount = scratchCount(shape), gradientCount = shape.weightCount + shape.outChannels
        let parts = max(1, min(workers, shape.batch))
        precondition(parts == 1 || partials != nil, "more than one worker needs partial gradient sums")
        inParallel(batch: shape.batch, workers: parts) { part, range in
            let scratch = scratch + part * scratchCount
            let dw = part == 0 ? dw : partials! + (part - 1) * gradientCount
            let db = db.map { part == 0 ? $0 : dw + shape.weightCount }
            dw.update(repeating: 0, count: shape.weightCount)
            db?.update(repeating: 0, count: shape.outChannels)
            for first in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                let samples = min(chunk, range.upperBound - first), width = samples * pixels
                // The chunk's patch matrix, kept or built in scratch; the scratch then takes its gradient.
                let dyChunk = scratch + shape.patchSize * chunk * pixels
                let columns = patches.map { $0 + first * pixels * shape.patchSize } ?? UnsafePointer(scratch)
                // dY as (O, samples·pixels), the layout of the forward product.
                for sample in 0..<samples {
                    for o in 0..<shape.outChannels {
                        let from = dy + ((first + sample) * shape.outChannels + o) * pixels
                        (dyChunk + o * width + sample * pixels).update(from: from, count: pixels)
                        // Skipped where there is no bias (ResNet-8). Eight running sums: one was a chain of
                        // dependent additions, two thirds of this function's time in LeNet-5 (perf).
                        guard let db else { continue }
                        var lanes = Lanes(), tail: Float = 0
                        forEachLanes(in: 0..<pixels, whole: { lanes += from.lanes($0) }, tail: { tail += from[$0] })
                        db[o] += lanes.sum() + tail
                    }
                }
                if patches == nil { im2col(shape, x + first * image, samples: samples, into: scratch) }
                // dW += dY (O, width) · columnsᵀ (width, patchSize)
                gemm(dyChunk, columns, transposeB: true, into: dw, m: shape.outChannels, n: shape.patchSize,
                      k: width, accumulate: true)
                guard let dx else { continue }
                // dcolumns = Wᵀ (patchSize, O) · dY (O, width), then summed back onto the pixels the taps read.
                gemm(weight, transposeA: true, dyChunk, into: scratch, m: shape.patchSize, n: width, k: shape.outChannels)
                col2im(shape, UnsafePointer(scratch), samples: samples, into: dx + first * image)
                if let activation {
                    forEachLanes(in: (first * image)..<((first + samples) * image), whole: { i in
                        dx.store(UnsafePointer(dx).lanes(i).replacing(with: 0, where: activation.lanes(i) .<= 0), at: i)
                    }, tail: { i in
                        if activation[i] <= 0 { dx[i] = 0 }
                    })
                }
            }
        }
        for part in 1..<parts {
            let partial = partials! + (part - 1) * gradientCount
            for j in 0..<shape.weightCount { dw[j] += partial[j] }
            if let db { for o in 0..<shape.outChannels { db[o] += partial[shape.weightCount + o] } }
        }
    }

    /// The patch matrix of `samples` samples: (patchSize, samples·pixels), 0 in the padding.
    private static func im2col(_ shape: Conv2dShape, _ x: UnsafePointer<Float>, samples: Int,
                               into columns: UnsafeMutablePointer<Float>) {
        let (s, ow) = (shape.stride, shape.outWidth)
        var out = columns
        forEachTap(shape, samples: samples) { origin, rows, valid in
            out.update(repeating: 0, count: rows.lowerBound * ow)
            for r in rows {
                let row = out + r * ow
                for q in 0..<valid.lowerBound { row[q] = 0 }
                // Loops over pointers, not memcpy (the runs are a few dozen floats, where a call costs more than
                // the copy) nor checked index arithmetic (which keeps the loop scalar).
                let (to, from) = (row + valid.lowerBound, x + (origin + r * s * shape.width + valid.lowerBound * s))
                if s == 1 {
                    for i in 0..<valid.count { to[i] = from[i] }
                } else {
                    for i in 0..<valid.count { to[i] = from[i &* s] }
                }
                for q in valid.upperBound..<ow { row[q] = 0 }
            }
            (out + rows.upperBound * ow).update(repeating: 0, count: (shape.outHeight - rows.upperBound) * ow)
            out += shape.outHeight * ow
        }
    }

    /// Adds the patch-matrix gradient of `samples` samples onto the pixels its entries came from: dx (samples, C,
    /// H, W), overwritten.
    private static func col2im(_ shape: Conv2dShape, _ columns: UnsafePointer<Float>, samples: Int,
                               into dx: UnsafeMutablePointer<Float>) {
        let (s, ow) = (shape.stride, shape.outWidth)
        dx.update(repeating: 0, count: samples * shape.inChannels * shape.height * shape.width)
        var from = columns
        forEachTap(shape, samples: samples) { origin, rows, valid in
            for r in rows {
                let (to, row) = (dx + (origin + r * s * shape.width + valid.lowerBound * s), from + r * ow + valid.lowerBound)
                if s == 1 {
                    for i in 0..<valid.count { to[i] += row[i] }
                } else {
                    for i in 0..<valid.count { to[i &* s] += row[i] }
                }
            }
            from += shape.outHeight * ow
        }
    }

    /// Walks the patch matrix one (c, kh, kw, sample) block of outHeight × outWidth entries at a time, in its
    /// order. `body` gets the index in x (samples, C, H, W) of the pixel entry (0, 0)
    /// reads (row −P + kh, column −P + kw of its plane: possibly outside the image, even negative), the output rows whose input row r·S − P + kh lies inside the image, and the
    /// output columns whose input column q·S − P + kw does; the other entries read the padding.
    private static func forEachTap(_ shape: Conv2dShape, samples: Int,
                                   _ body: (Int, Range<Int>, Range<Int>) -> Void) {
        let (s, p, plane) = (shape.stride, shape.padding, shape.height * shape.width)
        // 0 ≤ i·s − p + k < size
        func inside(_ k: Int, _ size: Int, _ count: Int) -> Range<Int> {
            let low = min(max(0, ceilingDivision(p - k, s)), count)
            return low..<max(low, min(count, floorDivision(size - 1 + p - k, s) + 1))
        }
        for c in 0..<shape.inChannels {
            for kh in 0..<shape.kernel {
                let rows = inside(kh, shape.height, shape.outHeight)
                for kw in 0..<shape.kernel {
                    let valid = inside(kw, shape.width, shape.outWidth)
                    for sample in 0..<samples {
                        body((sample * shape.inChannels + c) * plane + (kh - p) * shape.width + kw - p, rows, valid)
                    }
                }
            }
        }
    }

    private static func floorDivision(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    private static func ceilingDivision(_ a: Int, _ b: Int) -> Int { -floorDivision(-a, b) }
}
