import Foundation

/// How parameters move against their gradients. Both rules follow PyTorch's `torch.optim` exactly,
/// so a checkpoint's optimizer state means the same thing there.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable { case sgd, adam }

    public var kind: Kind
    public var learningRate: Float
    /// SGD only: `v ← μ·v + g; p ← p − lr·v` (no dampening, not Nesterov). 0 turns it off.
    public var momentum: Float
    /// L2 penalty added to the gradient: `g ← g + λ·p` (PyTorch's `weight_decay`).
    public var weightDecay: Float
    /// Adam only.
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8

    public init(kind: Kind = .sgd, learningRate: Float = 0.003, momentum: Float = 0, weightDecay: Float = 0) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// The lesson's `optim.SGD(model.parameters(), lr=0.003)`.
    public static let lesson = OptimizerConfig()

    /// Names of the per-parameter state vectors this optimizer keeps, each as long as the parameter vector.
    public var stateNames: [String] {
        switch kind {
        case .sgd: return momentum == 0 ? [] : ["momentum_buffer"]
        case .adam: return ["exp_avg", "exp_avg_sq"]
        }
    }

    /// Adam's bias corrections after `step` updates (1-based), folded into a step size and a divisor:
    /// `p ← p − stepSize · m / (sqrt(v) / rootCorrection2 + ε)`, as `torch.optim.Adam` computes it.
    public func adamFactors(step: Int) -> (stepSize: Float, rootCorrection2: Float) {
        let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        return (learningRate / correction1, correction2.squareRoot())
    }
}

/// The optimizer's memory between steps: how many steps were taken and its state vectors by name.
public struct OptimizerState: Equatable, Sendable {
    public var step: Int
    public var buffers: [String: [Float]]

    public init(step: Int = 0, buffers: [String: [Float]] = [:]) {
        self.step = step
        self.buffers = buffers
    }

    /// This state for `config`, whose settings may have changed since: buffers it no longer uses are dropped and
    /// new ones start at zero, as `torch.optim` creates them lazily (SGD's momentum buffer when momentum turns on).
    public func adapted(to config: OptimizerConfig, parameterCount: Int) -> OptimizerState {
        OptimizerState(step: step, buffers: Dictionary(uniqueKeysWithValues: config.stateNames.map {
            ($0, buffers[$0] ?? [Float](repeating: 0, count: parameterCount))
        }))
    }

    /// A fresh state for `config` over `parameterCount` parameters: zero steps, zeroed buffers.
    public init(fresh config: OptimizerConfig, parameterCount: Int) {
        self.init(step: 0, buffers: Dictionary(uniqueKeysWithValues: config.stateNames.map {
            ($0, [Float](repeating: 0, count: parameterCount))
        }))
    }
}
