/// The CPU reference: the specification every backend is checked against.
///
/// Each function is the twin of one OpenCL kernel and shares its name (`relu_forward` ↔ `reluForward`).
/// They are plain loops over row-major `[Float]` arrays, written to be read rather than to be fast, and
/// are themselves checked against finite differences and values worked out by hand (`ReferenceTests`).
/// Shapes use `rows` for the batch, `inputs`/`outputs` for a linear layer's widths, `classes` for the logits.
public enum Reference {}

// MARK: - Input

extension Reference {
    /// Twin of `gather_normalize`: gathers `rows` images of `channels` planes in shuffled order and normalizes
    /// their pixels: `X[r, f] = (images[order[offset + r] · features + f] / 255 − mean[c]) / std[c]` where
    /// `c = f / (features / channels)`, shape (rows, features).
    public static func gatherNormalize(
        images: [UInt8], order: [Int32], offset: Int, rows: Int, features: Int, channels: Int = 1, normalization: Normalization
    ) -> [Float] {
        var x = [Float](repeating: 0, count: rows * features)
        let plane = features / channels
        for r in 0..<rows {
            let image = Int(order[offset + r])
            for f in 0..<features {
                x[r * features + f] = normalization.apply(images[image * features + f], channel: f / plane)
            }
        }
        return x
    }
}

extension Reference {
    /// Twin of `gather_augment`: `gatherNormalize` of each image cropped and flipped as `augmentation` draws it
    /// for (seed, epoch, sample), the sample being `samples[offset + r]` (the order itself where `samples` is nil):
    /// `X[r, c, y, x] = normalize(image[c, y + dy, x' + dx])` with `x' = W − 1 − x` when mirrored, else `x`, and
    /// pixel 0 outside the image (zero padding).
    public static func gatherAugment(
        images: [UInt8], order: [Int32], samples: [Int32]? = nil, offset: Int, rows: Int, channels: Int, height: Int, width: Int,
        normalization: Normalization, augmentation: Augmentation, seed: UInt64, epoch: Int
    ) -> [Float] {
        let features = channels * height * width
        var x = [Float](repeating: 0, count: rows * features)
        for r in 0..<rows {
            let image = Int(order[offset + r]), sample = Int((samples ?? order)[offset + r])
            let (dy, dx, mirrored) = augmentation.draw(sample: sample, epoch: epoch, seed: seed)
            for c in 0..<channels {
                for y in 0..<height {
                    for ox in 0..<width {
                        let (sy, sx) = (y + dy, (mirrored ? width - 1 - ox : ox) + dx)
                        let inside = (0..<height).contains(sy) && (0..<width).contains(sx)
                        let pixel = inside ? images[image * features + (c * height + sy) * width + sx] : 0
                        x[r * features + (c * height + y) * width + ox] = normalization.apply(pixel, channel: c)
                    }
                }
            }
        }
        return x
    }
}

// MARK: - Linear layers

extension Reference {
    /// Twin of `matmul_forward`: `Y[n, o] = Σ_i X[n, i] · W[o, i] + b[o]`, then `max(0, ·)` if `relu`.
    /// X (rows, inputs), W (outputs, inputs) as PyTorch stores it, b (outputs) → Y (rows, outputs).
    public static func matmulForward(
        x: [Float], weight: [Float], bias: [Float], rows: Int, inputs: Int, outputs: Int, relu: Bool
    ) -> [Float] {
        var y = [Float](repeating: 0, count: rows * outputs)
        for n in 0..<rows {
            for o in 0..<outputs {
                var sum = bias[o]
                for i in 0..<inputs { sum += x[n * inputs + i] * weight[o * inputs + i] }
                y[n * outputs + o] = relu ? max(sum, 0) : sum
            }
        }
        return y
    }

    /// Twin of `matmul_backward`'s input gradient: `dX[n, i] = Σ_o dY[n, o] · W[o, i]`, shape (rows, inputs).
    ///
    /// When this layer's input was a ReLU output, pass it as `reluOutput`: the gradient then flows on through
    /// that ReLU too (zero where the activation was not positive), so the result is the gradient with respect
    /// to the previous layer's pre-activation and no separate `relu_backward` pass is needed.
    public static func matmulBackwardInput(
        dy: [Float], weight: [Float], rows: Int, inputs: Int, outputs: Int, reluOutput: [Float]?
    ) -> [Float] {
        var dx = [Float](repeating: 0, count: rows * inputs)
        for n in 0..<rows {
            for i in 0..<inputs {
                if let activation = reluOutput, activation[n * inputs + i] <= 0 { continue }
                var sum: Float = 0
                for o in 0..<outputs { sum += dy[n * outputs + o] * weight[o * inputs + i] }
                dx[n * inputs + i] = sum
            }
        }
        return dx
    }

    /// Twin of `matmul_backward`'s weight gradient: `dW[o, i] = Σ_n dY[n, o] · X[n, i]`, shape (outputs, inputs).
    public static func matmulBackwardWeight(dy: [Float], x: [Float], rows: Int, inputs: Int, outputs: Int) -> [Float] {
        var dw = [Float](repeating: 0, count: outputs * inputs)
        for o in 0..<outputs {
            for i in 0..<inputs {
                var sum: Float = 0
                for n in 0..<rows { sum += dy[n * outputs + o] * x[n * inputs + i] }
                dw[o * inputs + i] = sum
            }
        }
        return dw
    }

    /// Twin of `bias_backward`: `db[o] = Σ_n dY[n, o]`, shape (outputs).
    public static func biasBackward(dy: [Float], rows: Int, outputs: Int) -> [Float] {
        var db = [Float](repeating: 0, count: outputs)
        for n in 0..<rows {
            for o in 0..<outputs { db[o] += dy[n * outputs + o] }
        }
        return db
    }
}

// MARK: - ReLU

extension Reference {
    /// Twin of `relu_forward`: `y = max(x, 0)` element-wise.
    public static func reluForward(_ x: [Float]) -> [Float] {
        x.map { max($0, 0) }
    }

    /// Twin of `relu_backward`: `dx = dy` where the forward input `x` was positive, else 0.
    public static func reluBackward(x: [Float], dy: [Float]) -> [Float] {
        zip(x, dy).map { $0 > 0 ? $1 : 0 }
    }
}
