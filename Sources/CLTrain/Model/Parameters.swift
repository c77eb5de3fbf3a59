/// The weights and biases of every layer, back to back in one vector in `Model.tensors` order:
/// e.g. `0.weight` (out, in) row-major as PyTorch stores it, `0.bias` (out), `2.weight`, `2.bias`, …
/// One flat vector lets a single optimizer loop (or kernel launch) update every parameter. Beside them, the
/// model's buffers (running statistics) in `Model.buffers` order: what evaluation reads besides the weights.
public struct Parameters: Equatable, Sendable {
    public let model: Model
    public var values: [Float]
    public var buffers: [Float]

    /// - Parameter buffers: the running statistics; the model's initial ones unless given.
    public init(model: Model, values: [Float], buffers: [Float]? = nil) {
        precondition(values.count == model.parameterCount, "parameter count does not match the model")
        precondition(buffers.map { $0.count == model.bufferCount } ?? true, "buffer count does not match the model")
        self.model = model
        self.values = values
        self.buffers = buffers ?? model.initialBuffers
    }

    /// PyTorch's default initialization of each layer, drawn layer by layer in list order.
    public init(initializing model: Model, using generator: inout SeededGenerator) {
        var values: [Float] = []
        values.reserveCapacity(model.parameterCount)
        for stage in model.stages { values += stage.layer.initialValues(for: stage.input, using: &generator) }
        self.init(model: model, values: values)
    }

    /// The values of `stage`'s layer, all its tensors back to back.
    public func of(_ stage: Stage) -> ArraySlice<Float> { values[stage.parameterRange] }
}
