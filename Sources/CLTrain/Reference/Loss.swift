import Foundation

// MARK: - Log-softmax and negative log-likelihood

extension Reference {
    /// Twin of `log_softmax_forward`: `logp[n, c] = z[n, c] − log Σ_k exp(z[n, k])`, shape (rows, classes).
    /// The row's maximum is subtracted before `exp` so large logits cannot overflow.
    public static func logSoftmaxForward(_ z: [Float], rows: Int, classes: Int) -> [Float] {
        var logp = [Float](repeating: 0, count: rows * classes)
        for n in 0..<rows {
            let row = z[(n * classes)..<((n + 1) * classes)]
            let largest = row.max()!
            let logSumExp = log(row.reduce(Float(0)) { $0 + exp($1 - largest) })
            // (z − max) − log Σ exp(z − max), not z − (max + log Σ …): adding the small log to a large
            // maximum first would round it away when logits are large.
            for c in 0..<classes { logp[n * classes + c] = (z[n * classes + c] - largest) - logSumExp }
        }
        return logp
    }

    /// Twin of `nll_loss`: the mean over rows of `−logp[n, labels[n]]`.
    /// Summed in Double so the reference's loss over a whole test set is not limited by Float rounding.
    public static func nllLoss(logProbabilities: [Float], labels: [UInt8], rows: Int, classes: Int) -> Float {
        var sum: Double = 0
        for n in 0..<rows { sum -= Double(logProbabilities[n * classes + Int(labels[n])]) }
        return Float(sum / Double(rows))
    }

    /// Twin of `nll_log_softmax_backward`: the gradient of the mean NLL of log-softmax with respect to the
    /// logits, `dZ[n, c] = (exp(logp[n, c]) − [c == labels[n]]) / rows`. The two layers are differentiated
    /// together because their composite's gradient is this simple and better conditioned than the chain.
    public static func nllLogSoftmaxBackward(
        logProbabilities: [Float], labels: [UInt8], rows: Int, classes: Int
    ) -> [Float] {
        var dz = [Float](repeating: 0, count: rows * classes)
        for n in 0..<rows {
            for c in 0..<classes {
                let target: Float = c == Int(labels[n]) ? 1 : 0
                dz[n * classes + c] = (exp(logProbabilities[n * classes + c]) - target) / Float(rows)
            }
        }
        return dz
    }
}

// MARK: - Predictions

extension Reference {
    /// Twin of `argmax`: each row's class with the largest logit; the first wins a tie.
    public static func argmax(_ z: [Float], rows: Int, classes: Int) -> [Int32] {
        (0..<rows).map { n in
            var best = 0
            for c in 1..<classes where z[n * classes + c] > z[n * classes + best] { best = c }
            return Int32(best)
        }
    }

    /// Twin of `count_correct`: how many predictions equal their label.
    public static func countCorrect(predictions: [Int32], labels: [UInt8]) -> Int {
        zip(predictions, labels).filter { $0 == Int32($1) }.count
    }
}
