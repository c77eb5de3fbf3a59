/// The geometry of a 2-D convolution as PyTorch's `nn.Conv2d` defines it, for a square kernel with the same
/// stride and zero padding along both axes. Tensors are NCHW: x (batch, inChannels, height, width),
/// weight (outChannels, inChannels, kernel, kernel), bias (outChannels), y (batch, outChannels, outHeight, outWidth).
public struct Conv2dShape: Equatable, Sendable, CustomStringConvertible {
    public var batch, inChannels, height, width, outChannels, kernel, stride, padding: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: Int,
                stride: Int = 1, padding: Int = 0) {
        (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
        (self.outChannels, self.kernel, self.stride, self.padding) = (outChannels, kernel, stride, padding)
    }

    /// PyTorch's `floor((H + 2·padding − kernel) / stride) + 1`; at least 1 for a shape a layer accepts.
    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }

    public var inputCount: Int { batch * inChannels * height * width }
    public var outputCount: Int { batch * outChannels * outHeight * outWidth }
    public var weightCount: Int { outChannels * patchSize }

    /// The inputs one output pixel of one channel reads, in weight order (c, kh, kw): a column count of the
    /// im2col matrix, and the depth of the product.
    public var patchSize: Int { inChannels * kernel * kernel }
    /// One patch per output pixel of the batch, in (n, oh, ow) order: the im2col matrix's rows.
    public var patchCount: Int { batch * outHeight * outWidth }

    public var description: String {
        "\(batch)×\(inChannels)×\(height)×\(width) k\(kernel) s\(stride) p\(padding) → \(outChannels)×\(outHeight)×\(outWidth)"
    }
}

// MARK: - Convolution

extension Reference {
    /// The input pixel a kernel tap reads, or nil where it falls in the zero padding.
    private static func tap(_ shape: Conv2dShape, _ n: Int, _ c: Int, _ oh: Int, _ ow: Int, _ kh: Int, _ kw: Int) -> Int? {
        let ih = oh * shape.stride - shape.padding + kh, iw = ow * shape.stride - shape.padding + kw
        guard 0..<shape.height ~= ih, 0..<shape.width ~= iw else { return nil }
        return ((n * shape.inChannels + c) * shape.height + ih) * shape.width + iw
    }

    /// The weight index of tap (kh, kw) of input channel c for output channel o.
    private static func weightIndex(_ shape: Conv2dShape, _ o: Int, _ c: Int, _ kh: Int, _ kw: Int) -> Int {
        ((o * shape.inChannels + c) * shape.kernel + kh) * shape.kernel + kw
    }

    /// Visits every (output pixel, kernel tap) pair whose tap reads inside the image, in the order
    /// n, o, oh, ow, then c, kh, kw: the flat indices of the output pixel, the input pixel and the weight.
    private static func forEachTap(_ shape: Conv2dShape, _ body: (_ output: Int, _ input: Int, _ weight: Int) -> Void) {
        let (oh, ow, k) = (shape.outHeight, shape.outWidth, shape.kernel)
        for n in 0..<shape.batch {
            for o in 0..<shape.outChannels {
                for r in 0..<oh {
                    for q in 0..<ow {
                        let output = ((n * shape.outChannels + o) * oh + r) * ow + q
                        for c in 0..<shape.inChannels {
                            for kh in 0..<k {
                                for kw in 0..<k {
                                    guard let input = tap(shape, n, c, r, q, kh, kw) else { continue }
                                    body(output, input, weightIndex(shape, o, c, kh, kw))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Twin of `conv2d_forward`:
    /// `Y[n, o, oh, ow] = b[o] + Σ_{c, kh, kw} W[o, c, kh, kw] · X[n, c, oh·s − p + kh, ow·s − p + kw]`
    /// (zero outside the image), then `max(0, ·)` if `relu`.
    public static func conv2dForward(x: [Float], weight: [Float], bias: [Float], shape: Conv2dShape, relu: Bool) -> [Float] {
        let pixels = shape.outHeight * shape.outWidth
        var y = (0..<shape.outputCount).map { bias[$0 / pixels % shape.outChannels] }
        forEachTap(shape) { output, input, w in y[output] += weight[w] * x[input] }
        return relu ? y.map { max($0, 0) } : y
    }

    /// Twin of `conv2d_backward_input`: `dX[n, c, ih, iw] = Σ W[o, c, kh, kw] · dY[n, o, oh, ow]` over
    /// every output pixel whose window reads (ih, iw) through tap (kh, kw). With `reluOutput` (this layer's input,
    /// when it came out of a ReLU), zero where that input is ≤ 0, as `matmulBackwardInput` does.
    public static func conv2dBackwardInput(dy: [Float], weight: [Float], shape: Conv2dShape, reluOutput: [Float]?) -> [Float] {
        var dx = [Float](repeating: 0, count: shape.inputCount)
        forEachTap(shape) { output, input, w in dx[input] += weight[w] * dy[output] }
        if let activation = reluOutput {
            for i in dx.indices where activation[i] <= 0 { dx[i] = 0 }
        }
        return dx
    }

    /// Twin of `conv2d_backward_weight`'s weight gradient: `dW[o, c, kh, kw] = Σ_{n, oh, ow} dY[n, o, oh, ow] · X[n, c, …]`
    /// over the same taps as the forward pass.
    public static func conv2dBackwardWeight(dy: [Float], x: [Float], shape: Conv2dShape) -> [Float] {
        var dw = [Float](repeating: 0, count: shape.weightCount)
        forEachTap(shape) { output, input, w in dw[w] += dy[output] * x[input] }
        return dw
    }

    /// The bias gradient `conv2d_backward_weight` also writes: `db[o] = Σ_{n, oh, ow} dY[n, o, oh, ow]`.
    public static func conv2dBackwardBias(dy: [Float], shape: Conv2dShape) -> [Float] {
        let pixels = shape.outHeight * shape.outWidth
        var db = [Float](repeating: 0, count: shape.outChannels)
        for n in 0..<shape.batch {
            for o in 0..<shape.outChannels {
                for p in 0..<pixels { db[o] += dy[(n * shape.outChannels + o) * pixels + p] }
            }
        }
        return db
    }
}
