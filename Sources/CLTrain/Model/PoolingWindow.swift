/// `kernel_size, stride=kernel_size`: the square window of `nn.MaxPool2d` and `nn.AvgPool2d` (no padding, floor
/// mode), parsed, printed and fitted to an input one way for both kinds.
public struct PoolingWindow: Sendable, Equatable {
    public let kernel: Int, stride: Int

    public init(kernel: Int, stride: Int? = nil) { (self.kernel, self.stride) = (kernel, stride ?? kernel) }

    /// Takes `kernel_size` and `stride` from a layer's arguments.
    init(_ arguments: inout LayerArguments) throws {
        kernel = try arguments.take("kernel_size", where: { (1...64).contains($0) }, "a size from 1 to 64")
        stride = try arguments.take("stride", default: kernel, where: { (1...64).contains($0) }, "a step from 1 to 64")
    }

    /// The layer in spec form, e.g. "avgpool2d(3, stride=2)".
    func spec(_ name: String) -> String { "\(name)(\(kernel)" + (stride == kernel ? "" : ", stride=\(stride)") + ")" }

    /// The input's planes and size, or why the window does not fit it.
    func fit(_ input: Shape) throws -> (channels: Int, height: Int, width: Int) {
        guard let (channels, height, width) = input.image else {
            throw LayerShapeError("needs an image (channels×height×width) but gets \(input); put it before flatten")
        }
        guard height >= kernel, width >= kernel else {
            throw LayerShapeError("has a \(kernel)×\(kernel) window, larger than its \(height)×\(width) input")
        }
        return (channels, height, width)
    }
}
