/// The sizes of one average pooling over a batch: (batch, channels, height, width) in, windows of
/// kernelHeight × kernelWidth moved by strideHeight × strideWidth (no padding, floor mode, as PyTorch's).
public struct AvgPool2dShape: Equatable, Sendable, CustomStringConvertible {
    public var batch, channels, height, width: Int
    public var kernelHeight, kernelWidth, strideHeight, strideWidth: Int

    public init(batch: Int, channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int, strideWidth: Int) {
        (self.batch, self.channels, self.height, self.width) = (batch, channels, height, width)
        (self.kernelHeight, self.kernelWidth, self.strideHeight, self.strideWidth) = (kernelHeight, kernelWidth, strideHeight, strideWidth)
    }

    public var outHeight: Int { (height - kernelHeight) / strideHeight + 1 }
    public var outWidth: Int { (width - kernelWidth) / strideWidth + 1 }
    public var planes: Int { batch * channels }
    public var inputCount: Int { planes * height * width }
    public var outputCount: Int { planes * outHeight * outWidth }
    public var windowSize: Int { kernelHeight * kernelWidth }

    public var description: String {
        "\(batch)×\(channels)×\(height)×\(width) k\(kernelHeight)×\(kernelWidth) s\(strideHeight)×\(strideWidth) → \(outHeight)×\(outWidth)"
    }
}

extension Reference {
    /// Twin of `avgpool2d_forward`: each output is the mean of its window, summed in (kh, kw) order.
    public static func avgPool2dForward(x: [Float], shape s: AvgPool2dShape) -> [Float] {
        var y = [Float](repeating: 0, count: s.outputCount)
        for plane in 0..<s.planes {
            for oh in 0..<s.outHeight {
                for ow in 0..<s.outWidth {
                    var sum: Float = 0
                    for kh in 0..<s.kernelHeight {
                        for kw in 0..<s.kernelWidth {
                            sum += x[(plane * s.height + oh * s.strideHeight + kh) * s.width + ow * s.strideWidth + kw]
                        }
                    }
                    y[(plane * s.outHeight + oh) * s.outWidth + ow] = sum / Float(s.windowSize)
                }
            }
        }
        return y
    }

    /// Twin of `avgpool2d_backward`: each window's gradient shared equally among its inputs, the chain rule of the
    /// forward pass read as a scatter; then, where `reluOutput` is given, zero where it is not positive.
    public static func avgPool2dBackward(dy: [Float], shape s: AvgPool2dShape, reluOutput: [Float]? = nil) -> [Float] {
        var sums = [Float](repeating: 0, count: s.inputCount)
        for plane in 0..<s.planes {
            for oh in 0..<s.outHeight {
                for ow in 0..<s.outWidth {
                    let g = dy[(plane * s.outHeight + oh) * s.outWidth + ow]
                    for kh in 0..<s.kernelHeight {
                        for kw in 0..<s.kernelWidth {
                            sums[(plane * s.height + oh * s.strideHeight + kh) * s.width + ow * s.strideWidth + kw] += g
                        }
                    }
                }
            }
        }
        return sums.indices.map { i in
            reluOutput.map { $0[i] > 0 } == false ? 0 : sums[i] / Float(s.windowSize)
        }
    }
}
