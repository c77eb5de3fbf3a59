/// The geometry of PyTorch's `nn.MaxPool2d(kernel, stride)` (no padding, no dilation, floor mode) on an NCHW tensor:
/// x (batch, channels, height, width) → y (batch, channels, outHeight, outWidth).
public struct MaxPool2dShape: Equatable, Sendable, CustomStringConvertible {
    public var batch, channels, height, width, kernel, stride: Int

    /// - Parameter stride: PyTorch's default is the kernel size.
    public init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int? = nil) {
        (self.batch, self.channels, self.height, self.width) = (batch, channels, height, width)
        (self.kernel, self.stride) = (kernel, stride ?? kernel)
    }

    /// PyTorch's `floor((H − kernel) / stride) + 1`; at least 1 for a shape a layer accepts.
    public var outHeight: Int { (height - kernel) / stride + 1 }
    public var outWidth: Int { (width - kernel) / stride + 1 }
    /// The (n, c) planes the pooling treats independently.
    public var planes: Int { batch * channels }
    public var inputCount: Int { planes * height * width }
    public var outputCount: Int { planes * outHeight * outWidth }

    public var description: String {
        "\(batch)×\(channels)×\(height)×\(width) k\(kernel) s\(stride) → \(outHeight)×\(outWidth)"
    }
}

// MARK: - Max pooling

extension Reference {
    /// Twin of `maxpool2d_forward`: each output is the largest input of its window; `indices` holds where it was,
    /// as `ih·width + iw` within its (n, c) plane (PyTorch's `return_indices` convention). The first of equal
    /// maxima wins, scanning rows then columns, and a NaN wins over numbers, as in PyTorch.
    public static func maxPool2dForward(x: [Float], shape: MaxPool2dShape) -> (y: [Float], indices: [Int32]) {
        let (oh, ow) = (shape.outHeight, shape.outWidth)
        var y = [Float](repeating: 0, count: shape.outputCount), indices = [Int32](repeating: 0, count: shape.outputCount)
        for plane in 0..<shape.planes {
            let input = plane * shape.height * shape.width
            for r in 0..<oh {
                for q in 0..<ow {
                    var best = -Float.infinity, bestIndex = (r * shape.stride) * shape.width + q * shape.stride
                    for kh in 0..<shape.kernel {
                        for kw in 0..<shape.kernel {
                            let index = (r * shape.stride + kh) * shape.width + q * shape.stride + kw
                            let value = x[input + index]
                            if value > best || (value.isNaN && !best.isNaN) { (best, bestIndex) = (value, index) }
                        }
                    }
                    y[(plane * oh + r) * ow + q] = best
                    indices[(plane * oh + r) * ow + q] = Int32(bestIndex)
                }
            }
        }
        return (y, indices)
    }

    /// Twin of `maxpool2d_backward`: each output's gradient goes to the input its `indices` entry names; an input
    /// that several overlapping windows picked receives the sum, and every other input 0.
    public static func maxPool2dBackward(dy: [Float], indices: [Int32], shape: MaxPool2dShape) -> [Float] {
        let pixels = shape.outHeight * shape.outWidth
        var dx = [Float](repeating: 0, count: shape.inputCount)
        for plane in 0..<shape.planes {
            for p in 0..<pixels {
                dx[plane * shape.height * shape.width + Int(indices[plane * pixels + p])] += dy[plane * pixels + p]
            }
        }
        return dx
    }
}
