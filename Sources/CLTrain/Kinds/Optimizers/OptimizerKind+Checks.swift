import CLKit

extension KernelChecks {
    /// Every registered optimizer's kernel, for `KernelChecks.kernels` (AdamW shares Adam's).
    static var optimizerKernels: [String] {
        var kernels: [String] = []
        for kind in OptimizerRegistry.kinds where !kernels.contains(kind.kernel) { kernels.append(kind.kernel) }
        return kernels
    }

    /// The checks of an optimizer kernel: every kind that launches it, at each of its `checkCases`.
    mutating func optimizerUpdates(kernel: String) throws -> [KernelCheckResult] {
        try OptimizerRegistry.kinds.filter { $0.kernel == kernel }.flatMap { kind in
            try sized(kind.checkCases, { $0.count }).map { try optimizerUpdate(kind, $0) }
        }
    }

    /// One update of fresh random parameters, gradients and state by the kernel and by the kind's rule; every
    /// vector it writes is compared. The state starts non-negative, as a second moment must be.
    /// Tolerance: each element takes a handful of roundings (Adam's a square root and a division more), and the
    /// device may contract a multiply-add into an FMA.
    private mutating func optimizerUpdate(_ kind: any OptimizerKind.Type,
                                          _ check: (count: Int, settings: OptimizerConfig, step: Int)) throws -> KernelCheckResult {
        let (count, settings, step) = check
        let learningRate = settings.learningRate
        var parameters = floats(count)
        let gradients = floats(count)
        var state = settings.stateNames.map { _ in floats(count, scale: 0.1).map { abs($0) } }
        let outputs = try ([parameters] + state).map { values in
            let output = try GuardedOutput<Float>(context: context, count: count)
            try output.buffer.write(values)
            return output
        }
        try library.setStep(StepRecord(step: step, factors: kind.stepFactors(step: step, learningRate: learningRate, settings: settings)))
        let seconds = try timed {
            try kind.launch(library, count: count, parameters: outputs[0].buffer, gradients: input(gradients),
                            state: outputs.dropFirst().map(\.buffer), settings: settings)
        }
        UpdateVectors.over(parameters: &parameters, gradients: gradients, state: &state) {
            kind.update($0, step: step, learningRate: learningRate, settings: settings)
        }
        let sizes = "\(kind.name) \(count), lr \(learningRate), step \(step)"
            + (settings.momentum != 0 ? ", momentum \(settings.momentum)" : "") + (settings.nesterov ? " nesterov" : "")
            + (settings.weightDecay != 0 ? ", decay \(settings.weightDecay)" : "")
        var result = try compare(kernel: kind.kernel, sizes: sizes, output: outputs[0], expected: parameters,
                                 absolute: 1e-6, relative: 1e-5, seconds: seconds)
        for (output, expected) in zip(outputs.dropFirst(), state) {
            result = result.merging(try compare(kernel: kind.kernel, sizes: sizes, output: output, expected: expected,
                                                absolute: 1e-7, relative: 1e-6, seconds: seconds))
        }
        return result
    }
}
