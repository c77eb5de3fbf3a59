import CLKit

extension SGD {
    public static let kernel = "sgd_update"

    /// The rate alone.
    public static func stepFactors(step: Int, learningRate: Float, settings: OptimizerConfig) -> SIMD4<Float> {
        SIMD4(learningRate, 0, 0, 0)
    }

    /// Without momentum the kernel never reads its velocity argument, so the gradients stand in for it.
    public static func launch(_ library: KernelLibrary, count: Int, parameters: Buffer<Float>, gradients: Buffer<Float>,
                              state: [Buffer<Float>], settings: OptimizerConfig) throws -> Event? {
        try library.launch(kernel, global: library.linear((count + 15) / 16), Int32(count), parameters, gradients,
                           state.first ?? gradients, library.stepRecord, settings.momentum, settings.weightDecay,
                           Int32(settings.nesterov ? 1 : 0))
    }
}
