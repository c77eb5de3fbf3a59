import CLKit

extension Dropout {
    public static let kernelChecks = [
        KernelCheckEntry("dropout_forward") { checks in try checks.dropoutCases.map { try checks.dropoutForward($0, $1) } },
        KernelCheckEntry("dropout_backward_after_relu") { checks in
            try checks.dropoutCases.map { try checks.dropoutBackwardAfterReLU($0, $1) }
        },
    ]
}

extension KernelChecks {
    /// (elements, p) of the dropout checks: odd counts, no dropout, the presets' 0.2, a half.
    static let dropoutCases: [(Int, Float)] = [(1, 0.5), (7, 0.2), (65, 0), (1000, 0.5), (64 * 256, 0.2), (100_003, 0.9)]
    var dropoutCases: [(Int, Float)] { sized(Self.dropoutCases) { $0.0 } }

    /// A mask keyed by fresh random words, so each run draws other masks; the step crosses 2³² so both
    /// halves of the counter matter. The kernel reads the step from the step record, written here.
    mutating func dropoutMask(_ p: Float) throws -> DropoutMask {
        let step = Int(random.next() % (1 << 33))
        try library.setStep(StepRecord(step: step))
        return DropoutMask(probability: p, seed: random.next(), step: step, layer: Int(random.next() % 100))
    }

    /// The mask decides which elements are kept on both sides by integer comparison, and kept values are one
    /// multiplication by the same float: the outputs must be bit-identical.
    mutating func dropoutForward(_ count: Int, _ p: Float) throws -> KernelCheckResult {
        let x = floats(count), mask = try dropoutMask(p)
        let out = try GuardedOutput<Float>(context: context, count: count)
        let seconds = try timed { try library.dropoutForward(count: count, x: input(x), y: out.buffer, mask: mask) }
        return try compare(kernel: "dropout_forward", sizes: "\(count) p=\(p)", output: out,
                           expected: Reference.dropoutForward(x, mask: mask), absolute: 0, relative: 0, seconds: seconds)
    }

    /// Exact against the twin's backward pass with the ReLU mask, on a ReLU output (about half its values 0) with
    /// every seventh value NaN, which the mask must stop although its forward output is not 0; the forward output
    /// is the twin's.
    mutating func dropoutBackwardAfterReLU(_ count: Int, _ p: Float) throws -> KernelCheckResult {
        let x = floats(count).enumerated().map { $0 % 7 == 3 ? Float.nan : max($1, 0) }, dy = floats(count), mask = try dropoutMask(p)
        let y = Reference.dropoutForward(x, mask: mask)
        let out = try GuardedOutput<Float>(context: context, count: count)
        let seconds = try timed {
            try library.dropoutBackwardAfterReLU(count: count, x: input(x), y: input(y), dy: input(dy), dx: out.buffer, mask: mask)
        }
        return try compare(kernel: "dropout_backward_after_relu", sizes: "\(count) p=\(p)", output: out,
                           expected: Reference.dropoutBackward(dy: dy, mask: mask, reluOutput: x),
                           absolute: 0, relative: 0, seconds: seconds)
    }
}
