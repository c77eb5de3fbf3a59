/// `adaptiveavgpool2d(output_size=1)`: `nn.AdaptiveAvgPool2d` to an output of `size`×`size`; 1 is global average
/// pooling, a ResNet's head. Sizes that divide the input are average pooling with a window of input/size at the
/// same stride (PyTorch's windows then coincide); others are refused, since PyTorch's uneven windows would need
/// kernels of their own. Runs `avgpool2d`'s twin, native code and kernels.
public struct AdaptiveAvgPool2d: AveragePooling {
    public static let name = "adaptiveavgpool2d"
    public static let syntax = "adaptiveavgpool2d(output_size=1)"
    public static let summary = "nn.AdaptiveAvgPool2d to a size that divides the input; 1: global pooling"
    public static let examples = ["adaptiveavgpool2d(1)"]
    public let size: Int

    public init(size: Int = 1) { self.size = size }

    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        size = try arguments.take("output_size", default: 1, where: { (1...4096).contains($0) }, "a size from 1 to 4096")
        try arguments.finish()
    }

    public var description: String { "adaptiveavgpool2d(\(size))" }

    public func poolShape(_ input: Shape, batch: Int) throws -> AvgPool2dShape {
        guard let (channels, height, width) = input.image else {
            throw LayerShapeError("needs an image (channels×height×width) but gets \(input); put it before flatten")
        }
        guard height % size == 0, width % size == 0 else {
            throw LayerShapeError("needs an input that output_size \(size) divides, but gets \(height)×\(width)")
        }
        return AvgPool2dShape(batch: batch, channels: channels, height: height, width: width, kernelHeight: height / size,
                              kernelWidth: width / size, strideHeight: height / size, strideWidth: width / size)
    }

    /// Its kernels are avgpool2d's, whose rows that kind lists.
    public static var kernelChecks: [KernelCheckEntry] { [] }
}
