/// The network's shape: a stack of linear layers with ReLU between them and log-softmax at the end.
/// `[784, 128, 64, 10]` is the lesson's `784 → 128 → ReLU → 64 → ReLU → 10 → log-softmax`.
public struct Architecture: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    /// Layer widths from the input to the output.
    public let sizes: [Int]

    public init(sizes: [Int]) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "an architecture needs at least two positive widths")
        self.sizes = sizes
    }

    /// MNIST in, ten classes out, `hidden` in between.
    public init(inputs: Int = 784, hidden: [Int], classes: Int = 10) {
        self.init(sizes: [inputs] + hidden + [classes])
    }

    public static let lesson = Architecture(hidden: [128, 64])

    public var inputs: Int { sizes.first! }
    public var classes: Int { sizes.last! }
    public var hidden: [Int] { Array(sizes.dropFirst().dropLast()) }
    public var layerCount: Int { sizes.count - 1 }

    /// Layer `l` maps `inputs(l)` features to `outputs(l)`.
    public func inputs(_ layer: Int) -> Int { sizes[layer] }
    public func outputs(_ layer: Int) -> Int { sizes[layer + 1] }

    /// Every tensor in the order parameters are stored, named as PyTorch's `nn.Sequential` names the
    /// lesson's model: linear layers sit at even positions (0, 2, 4, …) with a ReLU after each but the last.
    public var tensors: [TensorSlot] {
        var slots: [TensorSlot] = []
        var offset = 0
        for layer in 0..<layerCount {
            let weight = TensorSlot(name: "\(2 * layer).weight", shape: [outputs(layer), inputs(layer)], offset: offset)
            offset += weight.count
            let bias = TensorSlot(name: "\(2 * layer).bias", shape: [outputs(layer)], offset: offset)
            offset += bias.count
            slots += [weight, bias]
        }
        return slots
    }

    public var parameterCount: Int { (0..<layerCount).reduce(0) { $0 + outputs($1) * (inputs($1) + 1) } }

    /// Multiply-adds of one forward pass for one sample.
    public var forwardMultiplyAdds: Int { (0..<layerCount).reduce(0) { $0 + outputs($1) * inputs($1) } }

    public var description: String {
        sizes.map(String.init).joined(separator: " → ") + " (\(parameterCount) parameters)"
    }
}

/// Where one named tensor lives inside the flat parameter vector.
public struct TensorSlot: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}
