/// `linear(out_features)`: `nn.Linear(in, out)`, `y = x · Wᵀ + b`, on a flat input.
/// Kernels: matmul_forward (bias and an absorbed ReLU fused in), matmul_backward (both backward products in one
/// launch, the input's ReLU mask and the bias gradient fused in).
public struct Linear: Layer {
    public static let name = "linear"
    public static let syntax = "linear(out_features)"
    public static let summary = "nn.Linear; a model that starts with one reads images flattened"
    public static let inputArgument: String? = "in_features"
    public static let examples = ["linear(6)"]
    public let outputs: Int

    public init(outputs: Int) { self.outputs = outputs }

    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        outputs = try arguments.take("out_features", where: { (1...1_048_576).contains($0) }, "a width from 1 to 1048576")
        try arguments.finish()
    }

    public var description: String { "linear(\(outputs))" }
    public var absorbsReLU: Bool { true }

    public func outputShape(for input: Shape) throws -> Shape {
        guard input.isFlat else { throw LayerShapeError("needs a flat input but gets \(input); put flatten before it") }
        return .flat(outputs)
    }

    public func multiplyAdds(for input: Shape) -> Int { input.count * outputs }

    /// Natively, the input gradient's terms of every host worker but the first, for a training batch (see
    /// `NativeLinear`).
    public func scratchValues(for input: Shape, batch: Int, rows: Int, native: Bool) -> Int {
        native ? (Self.hostParts(outputs, workers: hostWorkers) - 1) * batch * input.count : 0
    }

    public func parameters(for input: Shape) -> [(name: String, shape: [Int])] {
        [("weight", [outputs, input.count]), ("bias", [outputs])]
    }

    /// `nn.Linear`'s default: weights, then biases, uniform in ±1/sqrt(in_features).
    public func initialValues(for input: Shape, using generator: inout SeededGenerator) -> [Float] {
        let bound = 1 / Float(input.count).squareRoot()
        return (0..<(outputs * (input.count + 1))).map { _ in Float.random(in: -bound..<bound, using: &generator) }
    }

    public func referenceOperation(_ stage: Stage) -> ReferenceOperation { ReferenceLinear(stage: stage) }
}

private struct ReferenceLinear: ReferenceOperation {
    let stage: Stage
    var inputs: Int { stage.input.count }
    var outputs: Int { stage.output.count }

    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] {
        Reference.matmulForward(x: x, weight: Array(parameters.prefix(outputs * inputs)), bias: Array(parameters.suffix(outputs)),
                                rows: rows, inputs: inputs, outputs: outputs, relu: stage.relu)
    }

    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) {
        let dx = stage.needsInputGradient
            ? Reference.matmulBackwardInput(dy: dy, weight: Array(parameters.prefix(outputs * inputs)), rows: rows,
                                            inputs: inputs, outputs: outputs, reluOutput: stage.maskInputGradient ? x : nil)
            : nil
        return (dx, Reference.matmulBackwardWeight(dy: dy, x: x, rows: rows, inputs: inputs, outputs: outputs)
                    + Reference.biasBackward(dy: dy, rows: rows, outputs: outputs))
    }
}
