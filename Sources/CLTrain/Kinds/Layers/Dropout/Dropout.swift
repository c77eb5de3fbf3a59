/// `dropout(p)`: `nn.Dropout(p)`. In training each element is zeroed with probability p and the rest are
/// scaled by 1/(1 − p); in evaluation it is the identity. Masks come from `DropoutMask` (Philox keyed by the
/// seed, the step and the layer's index), so every backend draws the same ones and a resumed run repeats.
/// Kernels: dropout_forward (also the backward pass where no ReLU comes before), dropout_backward_after_relu (the
/// input's ReLU mask fused in).
public struct Dropout: Layer {
    public static let name = "dropout"
    public static let syntax = "dropout(p=0.5)"
    public static let summary = "nn.Dropout: inverted dropout in training, the identity in evaluation"
    public static let examples = ["dropout(0.3)"]
    /// Chains of 16 counters each work-item of dropout_forward runs its Philox rounds on, side by side (see
    /// Kernels/dropout.cl): built into the kernel and sizing its grid.
    static let chains = 4
    public static var kernelVariants: [String] { ["-DCHAINS=\(chains)"] }
    public let probability: Float

    public init(probability: Float) { self.probability = probability }

    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        probability = try arguments.take("p", default: 0.5, where: { $0 >= 0 && $0 < 1 }, "a probability in [0, 1)")
        try arguments.finish()
    }

    public var description: String { "dropout(\(probability))" }
    public func outputShape(for input: Shape) throws -> Shape { input }

    /// The mask of one training pass at `stage`; nil in evaluation.
    func mask(_ stage: Stage, _ pass: Pass) -> DropoutMask? {
        guard case .training(let seed, let step) = pass else { return nil }
        return DropoutMask(probability: probability, seed: seed, step: step, layer: stage.index)
    }

    public func referenceOperation(_ stage: Stage) -> ReferenceOperation { ReferenceDropout(stage: stage, layer: self) }
}

private struct ReferenceDropout: ReferenceOperation {
    let stage: Stage, layer: Dropout

    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] {
        guard let mask = layer.mask(stage, pass) else { return x }
        return Reference.dropoutForward(x, mask: mask)
    }

    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) {
        guard stage.needsInputGradient, let mask = layer.mask(stage, pass) else { return (nil, []) }
        return (Reference.dropoutBackward(dy: dy, mask: mask, reluOutput: stage.maskInputGradient ? x : nil), [])
    }
}
