/// The shape of one sample as it flows through a model, without the batch: `[channels, height, width]` for
/// images, `[features]` for the flat vectors that linear layers read. Row-major, as PyTorch stores NCHW.
public struct Shape: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let dimensions: [Int]

    public init(_ dimensions: [Int]) {
        precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 > 0 }, "a shape needs positive dimensions")
        self.dimensions = dimensions
    }

    public static func image(channels: Int, height: Int, width: Int) -> Shape { Shape([channels, height, width]) }
    public static func flat(_ features: Int) -> Shape { Shape([features]) }

    /// Values per sample.
    public var count: Int { dimensions.reduce(1, *) }
    public var isFlat: Bool { dimensions.count == 1 }
    /// The same values as one vector, as `torch.flatten(x, 1)` sees them.
    public var flattened: Shape { .flat(count) }

    /// `channels × height × width` of an image shape.
    public var image: (channels: Int, height: Int, width: Int)? {
        dimensions.count == 3 ? (dimensions[0], dimensions[1], dimensions[2]) : nil
    }

    /// "1×28×28", "784".
    public var description: String { dimensions.map(String.init).joined(separator: "×") }
}
