/// The `--cpu` convolution: the operations of `Reference.conv2dForward` / `conv2dBackward*` as im2col + one
/// `cblas_sgemm` per chunk of samples. The chunk's patch matrix is (patchSize, samples·pixels), row (c, kh, kw),
/// column (sample, oh, ow), so `Y (O, samples·pixels) = W (O, patchSize) · columns`, then copied into NCHW with the
/// bias and ReLU. A chunk's patch matrix fits in a core's L2 cache, so its product reads it while it is still
/// there (one product over a whole batch's, 5 MB for LeNet-5's first layer, read it back from memory), and its
/// products stay wide enough for OpenBLAS's fast kernels (one per sample, 6×784×25, was mostly call overhead).
/// A training step keeps the chunks' matrices side by side for the backward pass, which reads each once.
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
                        let from = product + o * width + sample * pixels, b = bias[o]
                        let to = y + ((first + sample) * shape.outChannels + o) * pixels
                        if relu {
                            for p in 0..<pixels { to[p] = max(from[p] + b, 0) }
                        } else {
                            for p in 0..<pixels { to[p] = from[p] + b }
                        }
                    }
                }
            }
        }
    }

    /// Floats of the per-worker gradient sums `backward` needs besides `dw` and `db` for `workers` workers.
    public static func partialCount(_ shape: Conv2dShape, workers: Int) -> Int {
        max(workers - 1, 0) * (shape.weightCount + shape.outChannels)
    }

    /// dw and db (overwritten) from dy (NCHW) and the layer's input x; when `dx` is given, the input gradient too,
    /// zeroed where `activation` (the layer's input, when it is a ReLU output) is ≤ 0. Each worker but the first
    /// sums its part's weight and bias gradients into its slice of `partials` (`partialCount` floats), added at the end.
    /// `patches`, when given, are the patch matrices `forward` kept for this x with as many workers; else they are
    /// built again.
    public static func backward(shape: Conv2dShape, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, workers: Int = 1,
                                partials: UnsafeMutablePointer<Float>? = nil, patches: UnsafePointer<Float>? = nil,
                                dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, activation: UnsafePointer<Float>?) {
        let pixels = shape.outHeight * shape.outWidth, image = shape.inChannels * shape.height * shape.width
        let chunk = chunk(shape), scratchCount = scratchCount(shape), gradientCount = shape.weightCount + shape.outChannels
        let parts = max(1, min(workers, shape.batch))
        precondition(parts == 1 || partials != nil, "more than one worker needs partial gradient sums")
        inParallel(batch: shape.batch, workers: parts) { part, range in
            let scratch = scratch + part * scratchCount
            let dw = part == 0 ? dw : partials! + (part - 1) * gradientCount
            let db = part == 0 ? db : dw + shape.weightCount
            dw.update(repeating: 0, count: shape.weightCount)
            db.update(repeating: 0, count: shape.outChannels)
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
                        var sum: Float = 0
                        for p in 0..<pixels { sum += from[p] }
                        db[o] += sum
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
                    for i in (first * image)..<((first + samples) * image) where activation[i] <= 0 { dx[i] = 0 }
                }
            }
        }
        for part in 1..<parts {
            let partial = partials! + (part - 1) * gradientCount
            for j in 0..<shape.weightCount { dw[j] += partial[j] }
            for o in 0..<shape.outChannels { db[o] += partial[shape.weightCount + o] }
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

/// The `--cpu` max pooling: the operations of `Reference.maxPool2dForward` / `maxPool2dBackward` on raw buffers.
public enum MaxPool2dNative {
    /// y and `indices` (ih·width + iw in the plane), as `Reference.maxPool2dForward`. A row of windows at a time,
    /// tap by tap in the windows' (kh, kw) order, with the running maxima in y's row: the loop over the row has
    /// no branch (a data-dependent one mispredicted about every other window) and vectorizes.
    public static func forward(shape: MaxPool2dShape, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               indices: UnsafeMutablePointer<Int32>) {
        let (oh, ow, w, s) = (shape.outHeight, shape.outWidth, shape.width, shape.stride)
        for plane in 0..<shape.planes {
            let input = x + plane * shape.height * w
            for r in 0..<oh {
                let (best, place) = (y + (plane * oh + r) * ow, indices + (plane * oh + r) * ow)
                let top = r * s * w
                // LeNet's 2×2 windows 8 at a time, as vectors; the rest of the row in the general loop below.
                let done = shape.kernel == 2 && s == 2 ? pool2x2(input + top, width: w, outputs: ow, best: best, place: place, top: top) : 0
                for q in done..<ow { (best[q], place[q]) = (input[top + q * s], Int32(top + q * s)) }
                for kh in 0..<shape.kernel {
                    for kw in 0..<shape.kernel {
                        let start = top + kh * w + kw, line = input + start
                        for q in done..<ow {
                            // value > best, or a NaN over a number (value > best || (value.isNaN && !best.isNaN)),
                            // without the short-circuit branch; wrapping arithmetic, bounded by the plane, keeps the
                            // loop vectorizable
                            let value = line[q &* s], current = best[q]
                            let better = !(value <= current) != current.isNaN
                            best[q] = better ? value : current
                            place[q] = better ? Int32(truncatingIfNeeded: start &+ q &* s) : place[q]
                        }
                    }
                }
            }
        }
    }

    /// The windows (2×2, stride 2) of the two rows at `rows`, as `forward` computes them, 8 per step: the even
    /// and odd columns of 16 inputs are the windows' two taps of a row. A row of 8 or more windows ends with the
    /// last 8, overlapping the previous step (the same values written again); a shorter one is left to `forward`.
    /// Returns how many windows it wrote.
    private static func pool2x2(_ rows: UnsafePointer<Float>, width: Int, outputs: Int, best: UnsafeMutablePointer<Float>,
                                place: UnsafeMutablePointer<Int32>, top: Int) -> Int {
        let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        guard outputs >= 8 else { return 0 }
        var q = 0
        while q < outputs {
            q = min(q, outputs - 8)
            let a = UnsafeRawPointer(rows + 2 * q).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(rows + width + 2 * q).loadUnaligned(as: SIMD16<Float>.self)
            let first = lanes &+ Int32(top + 2 * q)
            var (maximum, index) = (a.evenHalf, first)
            // In the window's (kh, kw) order; a tap wins when larger, or a NaN over a number.
            func tap(_ value: SIMD8<Float>, _ offset: Int32) {
                let wins = value .> maximum .| (value .!= value .& maximum .== maximum)
                maximum.replace(with: value, where: wins)
                index.replace(with: first &+ offset, where: wins)
            }
            tap(a.oddHalf, 1)
            tap(b.evenHalf, Int32(width))
            tap(b.oddHalf, Int32(width + 1))
            UnsafeMutableRawPointer(best + q).storeBytes(of: maximum, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(place + q).storeBytes(of: index, as: SIMD8<Int32>.self)
            q += 8
        }
        return q
    }

    /// dx (overwritten): each output's gradient added to the input its index names.
    public static func backward(shape: MaxPool2dShape, dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
                                dx: UnsafeMutablePointer<Float>) {
        let (pixels, plane) = (shape.outHeight * shape.outWidth, shape.height * shape.width)
        dx.update(repeating: 0, count: shape.inputCount)
        for at in 0..<(shape.planes * pixels) { dx[at / pixels * plane + Int(indices[at])] += dy[at] }
    }
}
