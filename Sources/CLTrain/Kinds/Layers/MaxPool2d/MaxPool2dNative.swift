/// The `--cpu` max pooling: the operations of `Reference.maxPool2dForward` / `maxPool2dBackward` on raw buffers.
public enum MaxPool2dNative {
    /// y and `indices` (ih·width + iw in the plane), as `Reference.maxPool2dForward`. A row of windows at a time,
    /// tap by tap in the windows' (kh, kw) order, with the running maxima in y's row: the loop over the row has
    /// no branch (a data-dependent one mispredicted about every other window) and vectorizes. The planes are split
    /// across `workers` (LeNet-5 --cpu on 2 cores: 3.73 s per epoch against 4.09 s on one, alternated in one run).
    public static func forward(shape: MaxPool2dShape, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               indices: UnsafeMutablePointer<Int32>, workers: Int = 1) {
        let (oh, ow, w, s) = (shape.outHeight, shape.outWidth, shape.width, shape.stride)
        inParallel(batch: shape.planes, workers: workers) { _, planes in
            for plane in planes {
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

    /// dx (overwritten): each output's gradient added to the input its index names; the planes split as in `forward`.
    public static func backward(shape: MaxPool2dShape, dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
                                dx: UnsafeMutablePointer<Float>, workers: Int = 1) {
        let (pixels, plane) = (shape.outHeight * shape.outWidth, shape.height * shape.width)
        inParallel(batch: shape.planes, workers: workers) { _, planes in
            (dx + planes.lowerBound * plane).update(repeating: 0, count: planes.count * plane)
            for at in (planes.lowerBound * pixels)..<(planes.upperBound * pixels) {
                dx[at / pixels * plane + Int(indices[at])] += dy[at]
            }
        }
    }
}
