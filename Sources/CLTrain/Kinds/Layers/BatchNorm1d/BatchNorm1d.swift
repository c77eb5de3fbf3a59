/// `batchnorm1d(eps=1e-5, momentum=0.1)`: `nn.BatchNorm1d(F)` on flat inputs (N, F), each feature a channel. It
/// shares everything but the shapes it takes with `batchnorm2d` (`Kinds/Layers/BatchNorm2d`).
public struct BatchNorm1d: BatchNormalization {
    public static let name = "batchnorm1d"
    public static let syntax = "batchnorm1d(eps=1e-5, momentum=0.1)"
    public static let summary = "nn.BatchNorm1d over each feature of a flat input; running statistics as buffers"
    public static let examples = ["batchnorm1d", "batchnorm1d(momentum=0.5)"]
    /// `nn.BatchNorm…(16)` states the channels, which are checked against the input's.
    public static let inputArgument: String? = "num_features"
    public let settings: BatchNormSettings

    public init(eps: Float = 1e-5, momentum: Float = 0.1) { settings = BatchNormSettings(eps: eps, momentum: momentum) }

    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        settings = try BatchNormSettings(&arguments)
        try arguments.finish()
    }

    public var description: String { settings.spec(Self.name) }
    /// Its kernels' rows come with `batchnorm2d`'s.
    public static var kernelChecks: [KernelCheckEntry] { [] }

    public func channels(of input: Shape) throws -> (channels: Int, spatial: Int) {
        guard input.isFlat else { throw LayerShapeError("needs a flat input but gets \(input); use batchnorm2d on images") }
        return (input.count, 1)
    }
}
