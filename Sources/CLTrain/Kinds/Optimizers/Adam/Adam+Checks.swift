extension Adam {
    /// The first step (largest bias corrections), a later one with decay, and the lesson's parameter count.
    public static let checkCases: [(count: Int, settings: OptimizerConfig, step: Int)] = [
        (1, OptimizerConfig(kind: name, learningRate: 0.001, weightDecay: 0.01), 1),
        (1000, OptimizerConfig(kind: name, learningRate: 0.001, weightDecay: 0.01), 7),
        (109_386, OptimizerConfig(kind: name, learningRate: 0.003), 100),
    ]
}
