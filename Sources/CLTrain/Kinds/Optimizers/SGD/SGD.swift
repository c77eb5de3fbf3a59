/// `torch.optim.SGD` without dampening: momentum (`--momentum`), Nesterov's variant (`--nesterov`) and an L2
/// weight decay added to the gradient (`--weight-decay`). Kernel: `sgd_update` in `Kernels/sgd.cl`.
public enum SGD: OptimizerKind {
    public static let name = "sgd"
    public static let summary = "torch.optim.SGD: --momentum, --nesterov, --weight-decay (L2)"

    /// The momentum buffer exists only with momentum, as PyTorch creates it on the first step that uses it.
    public static func stateNames(_ settings: OptimizerConfig) -> [String] {
        settings.momentum == 0 ? [] : ["momentum_buffer"]
    }

    public static func refusal(_ settings: OptimizerConfig) -> InvalidSetting? {
        settings.nesterov && settings.momentum == 0
            ? InvalidSetting(key: "nesterov", value: "true", expected: "used with a momentum above 0, as PyTorch requires")
            : nil
    }

    /// `g = grad + λ·p`; with momentum `μ ≠ 0`, `v = μ·v + g` and `g = v` (Nesterov: `g = g + μ·v`); then
    /// `p −= lr·g`. The buffer starts at zero, which makes the first step's `v = g` as PyTorch's first step sets it.
    public static func update(_ vectors: UpdateVectors, step: Int, learningRate: Float, settings: OptimizerConfig) {
        let p = vectors.parameters, grad = vectors.gradients
        let (momentum, decay, nesterov) = (settings.momentum, settings.weightDecay, settings.nesterov)
        guard momentum != 0 else {
            for j in 0..<vectors.count { p[j] -= learningRate * (grad[j] + decay * p[j]) }
            return
        }
        let v = vectors.state[0]
        for j in 0..<vectors.count {
            let g = grad[j] + decay * p[j]
            v[j] = momentum * v[j] + g
            p[j] -= learningRate * (nesterov ? g + momentum * v[j] : v[j])
        }
    }
}
