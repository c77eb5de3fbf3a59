import CLKit

extension Adam {
    public static let kernel = "adam_update"

    public static func stepFactors(step: Int, learningRate: Float, settings: OptimizerConfig) -> SIMD4<Float> {
        stepFactors(factors(step: step, learningRate: learningRate, settings: settings, decoupled: false))
    }

    /// The factors that change with the step, in adam.cl's order: step size, root correction, decay factor.
    static func stepFactors(_ factors: Factors) -> SIMD4<Float> {
        SIMD4(factors.stepSize, factors.rootCorrection2, factors.decayFactor, 0)
    }

    public static func launch(_ library: KernelLibrary, count: Int, parameters: Buffer<Float>, gradients: Buffer<Float>,
                              state: [Buffer<Float>], settings: OptimizerConfig) throws -> Event? {
        try launch(library, count: count, parameters: parameters, gradients: gradients, state: state, settings: settings,
                   decoupled: false)
    }

    /// - Parameter decoupled: AdamW's decay, in the step record's decay factor, rather than Adam's in the gradient.
    static func launch(_ library: KernelLibrary, count: Int, parameters: Buffer<Float>, gradients: Buffer<Float>,
                       state: [Buffer<Float>], settings: OptimizerConfig, decoupled: Bool) throws -> Event? {
        try library.launch(kernel, global: library.linear((count + 15) / 16), Int32(count), parameters, gradients, state[0], state[1],
                           library.stepRecord, settings.beta1, settings.beta2, settings.epsilon,
                           decoupled ? Float(0) : settings.weightDecay)
    }
}
