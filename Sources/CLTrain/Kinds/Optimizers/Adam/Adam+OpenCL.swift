import CLKit

extension Adam {
    public static let kernel = "adam_update"

    public static func launch(_ library: KernelLibrary, count: Int, parameters: Buffer<Float>, gradients: Buffer<Float>,
                              state: [Buffer<Float>], step: Int, learningRate: Float, settings: OptimizerConfig) throws -> Event? {
        try launch(library, count: count, parameters: parameters, gradients: gradients, state: state,
                   factors: factors(step: step, learningRate: learningRate, settings: settings, decoupled: false),
                   settings: settings)
    }

    static func launch(_ library: KernelLibrary, count: Int, parameters: Buffer<Float>, gradients: Buffer<Float>,
                       state: [Buffer<Float>], factors: Factors, settings: OptimizerConfig) throws -> Event? {
        try library.launch(kernel, global: library.linear(count), Int32(count), parameters, gradients, state[0], state[1],
                           factors.stepSize, factors.rootCorrection2, settings.beta1, settings.beta2, settings.epsilon,
                           factors.gradientDecay, factors.decayFactor)
    }
}
