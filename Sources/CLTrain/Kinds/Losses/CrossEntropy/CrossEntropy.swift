import Foundation

/// `nn.CrossEntropyLoss(label_smoothing=ε)` on the logits: log-softmax and NLL, the lesson's loss when ε = 0.
/// Kernel: `cross_entropy_forward_backward` in `Kernels/cross_entropy.cl`.
public enum CrossEntropy: LossKind {
    public static let name = "cross_entropy"
    public static let summary = "nn.CrossEntropyLoss on the logits; --label-smoothing ε"

    public static func refusal(_ settings: LossConfig) -> InvalidSetting? {
        (0...1).contains(settings.labelSmoothing) ? nil
            : InvalidSetting(key: "label_smoothing", value: String(settings.labelSmoothing), expected: "a fraction in [0, 1]")
    }

    /// Per row, with `logp = log_softmax(z)` (the row's maximum subtracted first so exp cannot overflow):
    /// `loss = −(1 − ε)·logp[y] − ε·mean_c logp[c]` and `dz[c] = (exp(logp[c]) − (1 − ε)·[c = y] − ε/C) / rows`.
    /// With ε = 0 the smoothing terms are exact zeros, so the lesson's figures do not move.
    public static func forwardBackward(logits: UnsafePointer<Float>, rows: Int, classes: Int, label: (Int) -> Int,
                                       settings: LossConfig, dz: UnsafeMutablePointer<Float>) -> Float {
        let smoothing = settings.labelSmoothing, spread = smoothing / Float(classes)
        var total: Float = 0
        for n in 0..<rows {
            let z = logits + n * classes, d = dz + n * classes, y = label(n)
            let (largest, logSumExp) = shiftedLogSumExp(z, classes: classes)
            var meanLogp: Float = 0
            if smoothing != 0 {
                for c in 0..<classes { meanLogp += (z[c] - largest) - logSumExp }
                meanLogp /= Float(classes)
            }
            total += (1 - smoothing) * (logSumExp - (z[y] - largest)) - smoothing * meanLogp
            for c in 0..<classes {
                d[c] = (exp((z[c] - largest) - logSumExp) - ((c == y ? 1 - smoothing : 0) + spread)) / Float(rows)
            }
        }
        return total / Float(rows)
    }

    /// For the row `z`: its maximum and `log Σ exp(z − max)`, so `log_softmax(z)[c] = (z[c] − max) − logSumExp`
    /// exactly as `Reference.logSoftmaxForward` computes it. The native backend's evaluation uses it too.
    static func shiftedLogSumExp(_ z: UnsafePointer<Float>, classes: Int) -> (largest: Float, logSumExp: Float) {
        var largest = z[0]
        for c in 1..<classes { largest = max(largest, z[c]) }
        var sum: Float = 0
        for c in 0..<classes { sum += exp(z[c] - largest) }
        return (largest, log(sum))
    }
}

extension Reference {
    /// The training loss of a batch of logits `z` (rows, classes) and its gradient: `settings`' rule on arrays.
    public static func lossForwardBackward(_ z: [Float], labels: [UInt8], classes: Int, settings: LossConfig) -> (loss: Float, dz: [Float]) {
        var dz = [Float](repeating: 0, count: z.count)
        let loss = z.withUnsafeBufferPointer { logits in
            dz.withUnsafeMutableBufferPointer { out in
                settings.rule.forwardBackward(logits: logits.baseAddress!, rows: labels.count, classes: classes,
                                              label: { Int(labels[$0]) }, settings: settings, dz: out.baseAddress!)
            }
        }
        return (loss, dz)
    }
}
