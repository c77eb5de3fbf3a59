import Foundation

/// The sizes of one batch norm over a batch: x is (batch, channels, spatial) row-major, as NCHW with spatial = H·W
/// (1 for `batchnorm1d`'s (N, F)); each channel's statistics run over its batch · spatial values.
public struct BatchNormShape: Equatable, Sendable, CustomStringConvertible {
    public var batch, channels, spatial: Int
    public var eps, momentum: Float

    public init(batch: Int, channels: Int, spatial: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        (self.batch, self.channels, self.spatial, self.eps, self.momentum) = (batch, channels, spatial, eps, momentum)
    }

    public var count: Int { batch * channels * spatial }
    /// The values each channel's statistics run over.
    public var perChannel: Int { batch * spatial }
    /// Index of value `j` (0..<perChannel) of channel `c`.
    func index(_ c: Int, _ j: Int) -> Int { ((j / spatial) * channels + c) * spatial + j % spatial }

    public var description: String { "\(batch)×\(channels)×\(spatial)" }
}

extension Reference {
    /// Twin of `batchnorm_forward`. Training (`training`): each channel normalized by its batch mean and biased
    /// variance, `y = weight · (x − mean) / √(var + eps) + bias` (then ReLU if `relu`), and the running statistics moved
    /// by `momentum` toward the mean and the unbiased variance, as `nn.BatchNorm2d` does. Evaluation: the running
    /// statistics in their place, left as they are. Sums in Double, so the twin is the exact side of a comparison.
    public static func batchNormForward(x: [Float], weight: [Float], bias: [Float], runningMean: inout [Float],
                                        runningVar: inout [Float], shape s: BatchNormShape, training: Bool, relu: Bool) -> [Float] {
        var y = [Float](repeating: 0, count: s.count)
        for c in 0..<s.channels {
            var mean = Double(runningMean[c]), variance = Double(runningVar[c])
            if training {
                let (batchMean, biased) = statistics(x, channel: c, shape: s)
                (mean, variance) = (batchMean, biased)
                let m = Double(s.momentum), n = Double(s.perChannel)
                runningMean[c] = Float((1 - m) * Double(runningMean[c]) + m * batchMean)
                runningVar[c] = Float((1 - m) * Double(runningVar[c]) + m * biased * n / (n - 1))
            }
            let invStd = 1 / (variance + Double(s.eps)).squareRoot()
            for j in 0..<s.perChannel {
                let i = s.index(c, j)
                let value = Float(Double(weight[c]) * (Double(x[i]) - mean) * invStd + Double(bias[c]))
                y[i] = relu ? max(value, 0) : value
            }
        }
        return y
    }

    /// Twin of `batchnorm_backward`, the training pass's chain rule through the batch statistics: with
    /// `x̂ = (x − mean) / √(var + eps)`, `dweight = Σ dy · x̂`, `dbias = Σ dy` and
    /// `dx = weight / √(var + eps) · (dy − dbias / n − x̂ · dweight / n)` over each channel's n values; then, where
    /// `reluOutput` is given (the layer's input is an absorbed ReLU's output), zero where it is not positive.
    public static func batchNormBackward(x: [Float], dy: [Float], weight: [Float], shape s: BatchNormShape,
                                         reluOutput: [Float]?) -> (dx: [Float], dWeight: [Float], dBias: [Float]) {
        var dx = [Float](repeating: 0, count: s.count)
        var dWeight = [Float](repeating: 0, count: s.channels), dBias = dWeight
        let n = Double(s.perChannel)
        for c in 0..<s.channels {
            let (mean, variance) = statistics(x, channel: c, shape: s)
            let invStd = 1 / (variance + Double(s.eps)).squareRoot()
            var sumDy = 0.0, sumDyXHat = 0.0
            for j in 0..<s.perChannel {
                let i = s.index(c, j)
                sumDy += Double(dy[i])
                sumDyXHat += Double(dy[i]) * (Double(x[i]) - mean) * invStd
            }
            (dWeight[c], dBias[c]) = (Float(sumDyXHat), Float(sumDy))
            for j in 0..<s.perChannel {
                let i = s.index(c, j)
                let xHat = (Double(x[i]) - mean) * invStd
                let value = Double(weight[c]) * invStd * (Double(dy[i]) - sumDy / n - xHat * sumDyXHat / n)
                dx[i] = reluOutput.map { $0[i] > 0 } == false ? 0 : Float(value)
            }
        }
        return (dx, dWeight, dBias)
    }

    /// The mean and biased variance of channel `c`'s values, in two passes.
    private static func statistics(_ x: [Float], channel c: Int, shape s: BatchNormShape) -> (mean: Double, variance: Double) {
        let n = Double(s.perChannel)
        let mean = (0..<s.perChannel).reduce(0.0) { $0 + Double(x[s.index(c, $1)]) } / n
        let variance = (0..<s.perChannel).reduce(0.0) { $0 + (Double(x[s.index(c, $1)]) - mean) * (Double(x[s.index(c, $1)]) - mean) } / n
        return (mean, variance)
    }
}
