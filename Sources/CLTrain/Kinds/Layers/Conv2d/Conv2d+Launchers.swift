import CLKit

extension Conv2d {
    /// Pixels of an image row each work-item of the conv2d kernels holds: the width of their float16 vectors,
    /// fixed in the source's types.
    static let lanes = 16

    /// One build of conv2d.cl: the channels each work-item of conv2d_forward and conv2d_backward_input accumulates
    /// (`CB`), and the output channels each work-item of conv2d_backward_weight does (`OB`).
    struct Blocking {
        let channels: Int, weightChannels: Int
    }

    /// The builds, the first the default. Wider blocks pay where the channels fill them and waste work where they
    /// do not: in `bench --kernels-only` on PoCL (two runs each), ResNet-8's forward passes took 34–36 ms a step
    /// with (8, 4) and 29–31 with (16, 4), its input gradients 62–66 against 42–48, its weight gradients 81–83
    /// against 62–72 with (8, 8); LeNet-5's (6 and 16 channels) went the other way, input gradients 0.52 → 0.90 ms.
    static let blockings = [Blocking(channels: 8, weightChannels: 4), Blocking(channels: 16, weightChannels: 8)]

    public static var kernelVariants: [String] { blockings.map { "-DCB=\($0.channels) -DOB=\($0.weightChannels)" } }

    /// The build a launch that blocks `channels` channels by `block(_:)` takes by itself: the widest whose block
    /// divides them (`cltrain tune` may choose another).
    static func variant(blocking channels: Int, by block: (Blocking) -> Int) -> Int {
        blockings.indices.last { channels % block(blockings[$0]) == 0 } ?? 0
    }
}

/// Launchers of Kernels/conv2d.cl, in the geometry that file documents, sized by the build each launch takes
/// (`Conv2d.blockings`): the widest whose blocks divide the channels, unless `cltrain tune` chose another build or
/// work-group for the shape. The kernels read and write NCHW directly, so a convolution layer needs no scratch buffers.
extension KernelLibrary {
    /// The sizes every conv2d kernel takes first, in their order: the tuning key of its launches.
    private func geometry(_ shape: Conv2dShape) -> [Int] {
        [shape.batch, shape.inChannels, shape.height, shape.width, shape.kernel, shape.stride, shape.padding,
         shape.outHeight, shape.outWidth, shape.outChannels]
    }

    private func blocks(_ count: Int, _ size: Int) -> Int { (count + size - 1) / size }

    /// y (NCHW) = conv(x) + bias, then ReLU if `relu`.
    @discardableResult
    public func conv2dForward(shape: Conv2dShape, x: Buffer<Float>, weight: Buffer<Float>, bias: Buffer<Float>,
                              y: Buffer<Float>, relu: Bool) throws -> Event? {
        let sizes = geometry(shape)
        return try launch(tunable: "conv2d_forward", sizes: sizes, rule: Conv2d.variant(blocking: shape.outChannels, by: \.channels),
                          global: { [self.blocks(shape.outWidth, Conv2d.lanes), shape.outHeight,
                                     shape.batch * self.blocks(shape.outChannels, Conv2d.blockings[$0].channels)] },
                          arguments: sizes.map { Int32($0) } + [x, weight, bias, y, Int32(relu ? 1 : 0)])
    }

    /// dw and db from dy (NCHW) and the layer's input x; then, when `dx` is given, the input gradient, zeroed
    /// where `activation` (this layer's input when it is a ReLU output, or a max-pool of one) is ≤ 0.
    /// Returns the launches' events when profiling.
    @discardableResult
    public func conv2dBackward(shape: Conv2dShape, dy: Buffer<Float>, x: Buffer<Float>, weight: Buffer<Float>,
                               dw: Buffer<Float>, db: Buffer<Float>, dx: Buffer<Float>?,
                               activation: Buffer<Float>?) throws -> [Event] {
        let sizes = geometry(shape), sizeArguments: [KernelArgument] = sizes.map { Int32($0) }
        // By default in work-groups of one: the grid is small (K·C·⌈O/OB⌉ work-items) and each runs long.
        var events = [try launch(tunable: "conv2d_backward_weight", sizes: sizes,
                                 rule: Conv2d.variant(blocking: shape.outChannels, by: \.weightChannels),
                                 global: { [shape.kernel, shape.inChannels, self.blocks(shape.outChannels, Conv2d.blockings[$0].weightChannels)] },
                                 local: [1, 1, 1], arguments: sizeArguments + [dy, x, dw, db])]
        if let dx {
            // Without a mask the kernel never reads the activation argument; dy stands in for it.
            events.append(try launch(tunable: "conv2d_backward_input", sizes: sizes,
                                     rule: Conv2d.variant(blocking: shape.inChannels, by: \.channels),
                                     global: { [self.blocks(shape.width, Conv2d.lanes), shape.height,
                                                shape.batch * self.blocks(shape.inChannels, Conv2d.blockings[$0].channels)] },
                                     arguments: sizeArguments + [dy, weight, activation ?? dy, dx, Int32(activation == nil ? 0 : 1)]))
        }
        return events.compactMap { $0 }
    }
}
