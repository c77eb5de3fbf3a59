import Foundation

/// `torch.optim.Adam`, its weight decay an L2 penalty added to the gradient (`--weight-decay`). AdamW shares its
/// rule with the decay decoupled. Kernel: `adam_update` in `Kernels/adam.cl`.
public enum Adam: OptimizerKind {
    public static let name = "adam"
    public static let summary = "torch.optim.Adam: --weight-decay (L2); betas 0.9, 0.999, eps 1e-8"

    public static func stateNames(_ settings: OptimizerConfig) -> [String] { ["exp_avg", "exp_avg_sq"] }

    public static func refusal(_ settings: OptimizerConfig) -> InvalidSetting? {
        refusingMomentum(settings, kind: name)
    }

    public static func update(_ vectors: UpdateVectors, step: Int, learningRate: Float, settings: OptimizerConfig) {
        rule(vectors, factors: factors(step: step, learningRate: learningRate, settings: settings, decoupled: false),
             settings: settings)
    }

    /// What the host computes once per step for the kernel: Adam's bias corrections folded into a step size and
    /// a divisor, `p ← p − stepSize · m / (sqrt(v) / rootCorrection2 + ε)` as `torch.optim.Adam` computes it,
    /// the L2 decay added to the gradient, and the factor AdamW multiplies the parameters by first.
    struct Factors {
        let stepSize: Float
        let rootCorrection2: Float
        let gradientDecay: Float
        let decayFactor: Float
    }

    /// - Parameter decoupled: AdamW's decay `p ← p·(1 − lr·λ)` (computed in Double, as PyTorch's Python floats
    ///   are) instead of Adam's `g ← g + λ·p`.
    static func factors(step: Int, learningRate: Float, settings: OptimizerConfig, decoupled: Bool) -> Factors {
        let correction1 = 1 - Float(pow(Double(settings.beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(settings.beta2), Double(step)))
        return Factors(stepSize: learningRate / correction1, rootCorrection2: correction2.squareRoot(),
                       gradientDecay: decoupled ? 0 : settings.weightDecay,
                       decayFactor: decoupled ? Float(1 - Double(learningRate) * Double(settings.weightDecay)) : 1)
    }

    /// `p ← p·decayFactor; g = grad + λ·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
    /// p −= stepSize · m / (√v / rootCorrection2 + ε)`.
    static func rule(_ vectors: UpdateVectors, factors: Factors, settings: OptimizerConfig) {
        let p = vectors.parameters, grad = vectors.gradients, m = vectors.state[0], v = vectors.state[1]
        let (beta1, beta2, epsilon) = (settings.beta1, settings.beta2, settings.epsilon)
        for j in 0..<vectors.count {
            let pj = p[j] * factors.decayFactor
            let g = grad[j] + factors.gradientDecay * pj
            m[j] = beta1 * m[j] + (1 - beta1) * g
            v[j] = beta2 * v[j] + (1 - beta2) * g * g
            p[j] = pj - factors.stepSize * m[j] / (v[j].squareRoot() / factors.rootCorrection2 + epsilon)
        }
    }

    static func refusingMomentum(_ settings: OptimizerConfig, kind: String) -> InvalidSetting? {
        if settings.momentum != 0 {
            return InvalidSetting(key: "momentum", value: String(settings.momentum), expected: "0 with \(kind), which keeps its own momentum")
        }
        if settings.nesterov {
            return InvalidSetting(key: "nesterov", value: "true", expected: "left out with \(kind): Nesterov momentum is SGD's")
        }
        return nil
    }
}
