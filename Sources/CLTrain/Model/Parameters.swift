/// The weights and biases of every layer, back to back in one vector in `Architecture.tensors` order:
/// `0.weight` (out, in) row-major as PyTorch stores it, `0.bias` (out), `2.weight`, `2.bias`, …
/// One flat vector lets a single optimizer loop (or kernel launch) update every parameter.
public struct Parameters: Equatable, Sendable {
    public let architecture: Architecture
    public var values: [Float]

    public init(architecture: Architecture, values: [Float]) {
        precondition(values.count == architecture.parameterCount, "parameter count does not match the architecture")
        self.architecture = architecture
        self.values = values
    }

    /// PyTorch's `nn.Linear` default: weights and biases uniform in ±1/sqrt(fan_in).
    public init(initializing architecture: Architecture, using generator: inout SeededGenerator) {
        var values: [Float] = []
        values.reserveCapacity(architecture.parameterCount)
        for layer in 0..<architecture.layerCount {
            let bound = 1 / Float(architecture.inputs(layer)).squareRoot()
            let count = architecture.outputs(layer) * (architecture.inputs(layer) + 1)
            for _ in 0..<count { values.append(Float.random(in: -bound..<bound, using: &generator)) }
        }
        self.init(architecture: architecture, values: values)
    }

    public func weight(_ layer: Int) -> ArraySlice<Float> { values[architecture.tensors[2 * layer].range] }
    public func bias(_ layer: Int) -> ArraySlice<Float> { values[architecture.tensors[2 * layer + 1].range] }
}
