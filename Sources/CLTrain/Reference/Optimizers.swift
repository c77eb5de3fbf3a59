// MARK: - Update rules, element by element over the flat parameter vector

extension Reference {
    /// Twin of `sgd_update`: PyTorch's SGD without dampening or Nesterov.
    /// `g = grad + λ·p`; with momentum `μ ≠ 0`, `v = μ·v + g` and `g = v`; then `p −= lr·g`.
    /// `momentumBuffer` starts at zero, which makes the first step's `v = g` as PyTorch's first step sets it;
    /// with `μ = 0` it is not touched and may be empty.
    public static func sgdUpdate(
        parameters: inout [Float], gradients: [Float], momentumBuffer: inout [Float],
        learningRate: Float, momentum: Float, weightDecay: Float
    ) {
        for j in parameters.indices {
            var g = gradients[j] + weightDecay * parameters[j]
            if momentum != 0 {
                momentumBuffer[j] = momentum * momentumBuffer[j] + g
                g = momentumBuffer[j]
            }
            parameters[j] -= learningRate * g
        }
    }

    /// Twin of `adam_update`: PyTorch's Adam (L2 weight decay added to the gradient, not AdamW).
    /// `g = grad + λ·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= stepSize · m / (√v / rootCorrection2 + ε)`
    /// with the bias corrections of `config.adamFactors(step:)`; `step` counts from 1.
    public static func adamUpdate(
        parameters: inout [Float], gradients: [Float], expAvg: inout [Float], expAvgSq: inout [Float],
        step: Int, config: OptimizerConfig
    ) {
        let (stepSize, rootCorrection2) = config.adamFactors(step: step)
        for j in parameters.indices {
            let g = gradients[j] + config.weightDecay * parameters[j]
            expAvg[j] = config.beta1 * expAvg[j] + (1 - config.beta1) * g
            expAvgSq[j] = config.beta2 * expAvgSq[j] + (1 - config.beta2) * g * g
            parameters[j] -= stepSize * expAvg[j] / (expAvgSq[j].squareRoot() / rootCorrection2 + config.epsilon)
        }
    }
}
