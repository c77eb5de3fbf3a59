extension SGD {
    /// One element, an odd length with momentum, decay and Nesterov, and the lesson's parameter count.
    public static let checkCases: [(count: Int, settings: OptimizerConfig, step: Int)] = [
        (1, OptimizerConfig(kind: name, learningRate: 0.003), 1),
        (1000, OptimizerConfig(kind: name, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01), 3),
        (1001, OptimizerConfig(kind: name, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true), 2),
        (109_386, OptimizerConfig(kind: name, learningRate: 0.003), 1),
    ]
}
