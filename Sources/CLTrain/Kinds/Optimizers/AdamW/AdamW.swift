import CLKit

/// `torch.optim.AdamW`: Adam with the weight decay decoupled from the gradient, `p ← p·(1 − lr·λ)` before Adam's
/// step. Adam's rule and kernel (`adam_update`) with other factors: no kernel of its own.
public enum AdamW: OptimizerKind {
    public static let name = "adamw"
    public static let summary = "torch.optim.AdamW: --weight-decay (decoupled, default 0.01)"
    /// PyTorch's default for AdamW, used where `--weight-decay` is not given.
    public static let defaultWeightDecay: Float = 0.01
    public static let kernel = Adam.kernel

    public static func stateNames(_ settings: OptimizerConfig) -> [String] { Adam.stateNames(settings) }

    public static func refusal(_ settings: OptimizerConfig) -> InvalidSetting? {
        Adam.refusingMomentum(settings, kind: name)
    }

    public static func update(_ vectors: UpdateVectors, step: Int, learningRate: Float, settings: OptimizerConfig) {
        Adam.rule(vectors, factors: Adam.factors(step: step, learningRate: learningRate, settings: settings, decoupled: true),
                  settings: settings)
    }

    public static func stepFactors(step: Int, learningRate: Float, settings: OptimizerConfig) -> SIMD4<Float> {
        Adam.stepFactors(Adam.factors(step: step, learningRate: learningRate, settings: settings, decoupled: true))
    }

    public static func launch(_ library: KernelLibrary, count: Int, parameters: Buffer<Float>, gradients: Buffer<Float>,
                              state: [Buffer<Float>], settings: OptimizerConfig) throws -> Event? {
        try Adam.launch(library, count: count, parameters: parameters, gradients: gradients, state: state, settings: settings,
                        decoupled: true)
    }

    /// The decay must reach the parameters: a large one on a first step, and a typical one later.
    public static let checkCases: [(count: Int, settings: OptimizerConfig, step: Int)] = [
        (7, OptimizerConfig(kind: name, learningRate: 0.01, weightDecay: 0.5), 1),
        (1001, OptimizerConfig(kind: name, learningRate: 0.001, weightDecay: 0.01), 9),
    ]
}
