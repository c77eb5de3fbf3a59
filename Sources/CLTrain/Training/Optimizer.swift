import Foundation

/// An optimizer's settings: which kind (`OptimizerRegistry`) and its hyperparameters, each meaning what
/// `torch.optim` means by it, so a checkpoint's optimizer state means the same thing there.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    /// An `OptimizerKind.name`; `rule` is the kind itself.
    public var kind: String
    /// The base rate: the schedule scales it step by step.
    public var learningRate: Float
    /// SGD only: `v ← μ·v + g`. 0 turns it off.
    public var momentum: Float
    /// What each kind does with it is its own: an L2 penalty added to the gradient (SGD, Adam), or decoupled (AdamW).
    public var weightDecay: Float
    /// SGD only: Nesterov momentum.
    public var nesterov: Bool
    /// Adam and AdamW.
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8

    public init(kind: String = SGD.name, learningRate: Float = 0.003, momentum: Float = 0, weightDecay: Float = 0,
                nesterov: Bool = false) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// The lesson's `optim.SGD(model.parameters(), lr=0.003)`.
    public static let lesson = OptimizerConfig()

    /// The kind these settings are for. Settings are checked (`validated()`) wherever they enter, so the name is known.
    public var rule: any OptimizerKind.Type {
        guard let rule = OptimizerRegistry.kind(named: kind) else { preconditionFailure("unchecked optimizer '\(kind)'") }
        return rule
    }

    /// Names of the per-parameter state vectors this optimizer keeps, each as long as the parameter vector.
    public var stateNames: [String] { rule.stateNames(self) }
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
