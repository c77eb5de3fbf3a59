import CLKit

extension CrossEntropy {
    /// Every (rows, classes) of the softmax checks, without smoothing (the lesson), with a typical ε and a large one.
    public static let kernelChecks = [
        KernelCheckEntry("cross_entropy_forward_backward") { checks in
            try KernelChecks.rowsAndClasses.enumerated().flatMap { index, size in
                try checks.crossEntropy(size.0, size.1, smoothing: [0, 0.1, 0.5][index % 3])
            }
        },
    ]
}

extension KernelChecks {
    /// The fused kernel against the rule on large logits (±30, so the maximum's subtraction matters): the loss and
    /// the gradient. Each is a few exps and sums per row, in the twin's order.
    mutating func crossEntropy(_ rows: Int, _ classes: Int, smoothing: Float) throws -> [KernelCheckResult] {
        let z = floats(rows * classes, scale: 30)
        let (labels, order, offset, batchLabels) = batchLabels(rows, classes)
        let settings = LossConfig(kind: CrossEntropy.name, labelSmoothing: smoothing)
        // The loss lands in the step record's slot, and nowhere else among the epoch's.
        let slot = rows % 3
        let losses = try GuardedOutput<Float>(context: context, initial: [Float](repeating: 0, count: 3))
        let dz = try GuardedOutput<Float>(context: context, count: rows * classes)
        try library.setStep(StepRecord(offset: offset, slot: slot))
        let seconds = try timed {
            try CrossEntropy.launch(library, rows: rows, classes: classes, z: input(z), labels: input(labels), order: input(order),
                                    losses: losses.buffer, dz: dz.buffer, settings: settings)
        }
        let expected = Reference.lossForwardBackward(z, labels: batchLabels, classes: classes, settings: settings)
        var expectedLosses: [Float] = [0, 0, 0]
        expectedLosses[slot] = expected.loss
        let (kernel, sizes) = ("cross_entropy_forward_backward", "\(rows)×\(classes) ε \(smoothing)")
        return [
            try compare(kernel: kernel, sizes: sizes + " loss", output: losses, expected: expectedLosses,
                        absolute: 1e-5, relative: 1e-5, seconds: seconds),
            try compare(kernel: kernel, sizes: sizes + " gradient", output: dz, expected: expected.dz,
                        absolute: Self.softmaxTolerance.absolute / Double(rows), relative: Self.softmaxTolerance.relative,
                        seconds: seconds),
        ]
    }
}
