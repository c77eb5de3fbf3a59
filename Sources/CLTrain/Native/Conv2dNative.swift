import CBLAS

/// The `--cpu` convolution: the operations of `Reference.conv2dForward` / `conv2dBackward*`, one sample at a time
/// as im2col + `cblas_sgemm` in the layout that lands the product in NCHW: a sample's patch matrix is
/// (patchSize, pixels), row (c, kh, kw), so `Y_n (O, pixels) = W (O, patchSize) · columns`. Its only scratch is
/// that one matrix (`scratchCount` floats), small enough to stay in cache; the backward pass rebuilds it per
/// sample rather than keeping the whole batch's.
public enum Conv2dNative {
    /// Floats of the `columns` scratch `forward` and `backward` need.
    public static func scratchCount(_ shape: Conv2dShape) -> Int { shape.patchSize * shape.outHeight * shape.outWidth }

    /// y (NCHW) = conv(x) + bias, then ReLU if `relu`.
    public static func forward(shape: Conv2dShape, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>,
                               y: UnsafeMutablePointer<Float>, relu: Bool) {
        let pixels = shape.outHeight * shape.outWidth
        for n in 0..<shape.batch {
            im2col(shape, x + n * shape.inChannels * shape.height * shape.width, into: columns)
            let yn = y + n * shape.outChannels * pixels
            sgemm(weight, UnsafePointer(columns), into: yn, m: shape.outChannels, n: pixels, k: shape.patchSize)
            for o in 0..<shape.outChannels {
                let row = yn + o * pixels, b = bias[o]
                if relu {
                    for p in 0..<pixels { row[p] = max(row[p] + b, 0) }
                } else {
                    for p in 0..<pixels { row[p] += b }
                }
            }
        }
    }

    /// dw and db (overwritten) from dy (NCHW) and the layer's input x; when `dx` is given, the input gradient too,
    /// zeroed where `activation` (the layer's input, when it is a ReLU output) is ≤ 0.
    public static func backward(shape: Conv2dShape, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>,
                                dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, activation: UnsafePointer<Float>?) {
        let pixels = shape.outHeight * shape.outWidth, image = shape.inChannels * shape.height * shape.width
        dw.update(repeating: 0, count: shape.weightCount)
        db.update(repeating: 0, count: shape.outChannels)
        for n in 0..<shape.batch {
            let dyn = dy + n * shape.outChannels * pixels
            for o in 0..<shape.outChannels {
                var sum: Float = 0
                for p in 0..<pixels { sum += dyn[o * pixels + p] }
                db[o] += sum
            }
            im2col(shape, x + n * image, into: columns)
            // dW += dY_n (O, pixels) · columnsᵀ (pixels, patchSize)
            sgemm(dyn, UnsafePointer(columns), transposeB: true, into: dw, m: shape.outChannels, n: shape.patchSize,
                  k: pixels, accumulate: true)
            guard let dx else { continue }
            // dcolumns = Wᵀ (patchSize, O) · dY_n (O, pixels), then summed back onto the pixels the taps read.
            sgemm(weight, transposeA: true, dyn, into: columns, m: shape.patchSize, n: pixels, k: shape.outChannels)
            col2im(shape, UnsafePointer(columns), into: dx + n * image)
        }
        if let dx, let activation {
            for i in 0..<shape.inputCount where activation[i] <= 0 { dx[i] = 0 }
        }
    }

    /// One sample's patch matrix (patchSize, pixels): row (c, kh, kw), column (oh, ow), 0 in the padding.
    private static func im2col(_ shape: Conv2dShape, _ x: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        var out = columns
        forEachTapRow(shape) { plane, ih, iw in
            out.update(repeating: 0, count: shape.outWidth)
            for q in 0..<shape.outWidth where 0..<shape.width ~= iw(q) { out[q] = x[plane + ih * shape.width + iw(q)] }
            out += shape.outWidth
        } padding: {
            out.update(repeating: 0, count: shape.outWidth)
            out += shape.outWidth
        }
    }

    /// Adds one sample's patch-matrix gradient onto the pixels its entries came from: dx (C, H, W), overwritten.
    private static func col2im(_ shape: Conv2dShape, _ columns: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: shape.inChannels * shape.height * shape.width)
        var from = columns
        forEachTapRow(shape) { plane, ih, iw in
            for q in 0..<shape.outWidth where 0..<shape.width ~= iw(q) { dx[plane + ih * shape.width + iw(q)] += from[q] }
            from += shape.outWidth
        } padding: {
            from += shape.outWidth
        }
    }

    /// Walks the patch matrix one output row at a time, in its (c, kh, kw, oh) order: `inside` gets the input
    /// plane's offset, the input row, and the input column of each output column; `padding` stands for a row
    /// of the matrix whose input row lies in the padding.
    private static func forEachTapRow(_ shape: Conv2dShape, inside: (Int, Int, (Int) -> Int) -> Void, padding: () -> Void) {
        let (s, p) = (shape.stride, shape.padding)
        for c in 0..<shape.inChannels {
            for kh in 0..<shape.kernel {
                for kw in 0..<shape.kernel {
                    for r in 0..<shape.outHeight {
                        let ih = r * s - p + kh
                        if 0..<shape.height ~= ih {
                            inside(c * shape.height * shape.width, ih) { q in q * s - p + kw }
                        } else {
                            padding()
                        }
                    }
                }
            }
        }
    }
}

/// The `--cpu` max pooling: the operations of `Reference.maxPool2dForward` / `maxPool2dBackward` on raw buffers.
public enum MaxPool2dNative {
    /// y and `indices` (ih·width + iw in the plane), as `Reference.maxPool2dForward`.
    public static func forward(shape: MaxPool2dShape, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               indices: UnsafeMutablePointer<Int32>) {
        let (oh, ow, w) = (shape.outHeight, shape.outWidth, shape.width)
        for plane in 0..<shape.planes {
            let input = x + plane * shape.height * w
            for r in 0..<oh {
                for q in 0..<ow {
                    let first = r * shape.stride * w + q * shape.stride
                    var (best, bestIndex) = (input[first], first)
                    for kh in 0..<shape.kernel {
                        for kw in 0..<shape.kernel {
                            let index = first + kh * w + kw, value = input[index]
                            if value > best || (value.isNaN && !best.isNaN) { (best, bestIndex) = (value, index) }
                        }
                    }
                    let at = (plane * oh + r) * ow + q
                    y[at] = best
                    indices[at] = Int32(bestIndex)
                }
            }
        }
    }

    /// dx (overwritten): each output's gradient added to the input its index names.
    public static func backward(shape: MaxPool2dShape, dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
                                dx: UnsafeMutablePointer<Float>) {
        let (pixels, plane) = (shape.outHeight * shape.outWidth, shape.height * shape.width)
        dx.update(repeating: 0, count: shape.inputCount)
        for at in 0..<(shape.planes * pixels) { dx[at / pixels * plane + Int(indices[at])] += dy[at] }
    }
}

/// `C (m, n) = op(A) (m, k) · op(B) (k, n)`, plus C itself when `accumulate`; all row-major, a transposed factor
/// read transposed in place.
private func sgemm(_ a: UnsafePointer<Float>, transposeA: Bool = false, _ b: UnsafePointer<Float>, transposeB: Bool = false,
                   into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool = false) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                accumulate ? 1 : 0, c, Int32(n))
}
