/// `batchnorm1d(eps=1e-5, momentum=0.1)`: `nn.BatchNorm1d(F)` on flat inputs (N, F), each feature a channel. It
/// shares everything but the shapes it takes with `batchnorm2d` (`Kinds/Layers/BatchNorm2d`).
public struct BatchNorm1d: BatchNormalization {
    public static let name = "batchnorm1d"
    public static let syntax = "batchnorm1d(eps=1e-5, momentum=0.1)"
    public static let summary = "nn.BatchNorm1d over each feature of a flat input; running statistics as buffers"
    public static let examples = ["batchnorm1d", "batchnorm1d(momentum=0.5)"]
    public let settings: BatchNormSettings

    public init(settings: BatchNormSettings = .pytorch) { self.settings = settings }

    /// Its kernels' rows come with `batchnorm2d`'s.
    public static var kernelChecks: [KernelCheckEntry] { [] }

    public func channels(of input: Shape) throws -> (channels: Int, spatial: Int) {
        guard input.isFlat else { throw LayerShapeError("needs a flat input but gets \(input); use batchnorm2d on images") }
        return (input.count, 1)
    }
}
