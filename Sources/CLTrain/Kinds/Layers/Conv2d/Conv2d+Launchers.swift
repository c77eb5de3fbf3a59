import CLKit

extension Conv2d {
    /// Pixels of an image row each work-item of the conv2d kernels holds: the width of their float16 vectors,
    /// fixed in the source's types.
    static let lanes = 16
    /// Channels each work-item of conv2d_forward and conv2d_backward_input accumulates (`CB` in conv2d.cl).
    static let channelBlock = 8
    /// Output channels each work-item of conv2d_backward_weight accumulates (`OB` in conv2d.cl).
    static let weightChannelBlock = 4

    public static var kernelOptions: String { "-DCB=\(channelBlock) -DOB=\(weightChannelBlock)" }
}

/// Launchers of Kernels/conv2d.cl, in the geometry that file documents, sized by the blocking it is built with
/// (`Conv2d.kernelOptions`). The kernels read and write NCHW directly, so a convolution layer needs no scratch buffers.
extension KernelLibrary {

    private func geometry(_ shape: Conv2dShape) -> [KernelArgument] {
        [Int32(shape.batch), Int32(shape.inChannels), Int32(shape.height), Int32(shape.width), Int32(shape.kernel),
         Int32(shape.stride), Int32(shape.padding), Int32(shape.outHeight), Int32(shape.outWidth), Int32(shape.outChannels)]
    }

    private func blocks(_ count: Int, _ size: Int) -> Int { (count + size - 1) / size }

    /// y (NCHW) = conv(x) + bias, then ReLU if `relu`.
    @discardableResult
    public func conv2dForward(shape: Conv2dShape, x: Buffer<Float>, weight: Buffer<Float>, bias: Buffer<Float>,
                              y: Buffer<Float>, relu: Bool) throws -> Event? {
        let global = [blocks(shape.outWidth, Conv2d.lanes), shape.outHeight,
                      shape.batch * blocks(shape.outChannels, Conv2d.channelBlock)]
        return try launch("conv2d_forward", global: global, arguments: geometry(shape) + [x, weight, bias, y, Int32(relu ? 1 : 0)])
    }

    /// dw and db from dy (NCHW) and the layer's input x; then, when `dx` is given, the input gradient, zeroed
    /// where `activation` (this layer's input when it is a ReLU output, or a max-pool of one) is ≤ 0.
    /// Returns the launches' events when profiling.
    @discardableResult
    public func conv2dBackward(shape: Conv2dShape, dy: Buffer<Float>, x: Buffer<Float>, weight: Buffer<Float>,
                               dw: Buffer<Float>, db: Buffer<Float>, dx: Buffer<Float>?,
                               activation: Buffer<Float>?) throws -> [Event] {
        // Work-groups of one: the grid is small (K·C·⌈O/OB⌉ work-items) and each runs long.
        let weightGrid = [shape.kernel, shape.inChannels, blocks(shape.outChannels, Conv2d.weightChannelBlock)]
        var events = [try launch("conv2d_backward_weight", global: weightGrid, local: [1, 1, 1],
                                 arguments: geometry(shape) + [dy, x, dw, db])]
        if let dx {
            let global = [blocks(shape.width, Conv2d.lanes), shape.height,
                          shape.batch * blocks(shape.inChannels, Conv2d.channelBlock)]
            // Without a mask the kernel never reads the activation argument; dy stands in for it.
            events.append(try launch("conv2d_backward_input", global: global,
                                     arguments: geometry(shape) + [dy, weight, activation ?? dy, dx, Int32(activation == nil ? 0 : 1)]))
        }
        return events.compactMap { $0 }
    }
}
