import CLKit

/// Launchers of Kernels/conv2d.cl and the two sequences a convolution layer runs per step.
///
/// A layer owns two scratch buffers, allocated once: `columns` (`shape.patchCount × shape.patchSize` floats) holds
/// the forward pass's patch matrix until the backward pass has used it for dW, which then overwrites it with
/// the patch matrix's gradient; `rows` (`shape.patchCount × shape.outChannels`) holds the product channels-last
/// in the forward pass and the output gradient in that layout in the backward pass.
extension KernelLibrary {
    private func geometry(_ shape: Conv2dShape) -> [KernelArgument] {
        [Int32(shape.batch), Int32(shape.inChannels), Int32(shape.height), Int32(shape.width), Int32(shape.kernel),
         Int32(shape.stride), Int32(shape.padding), Int32(shape.outHeight), Int32(shape.outWidth)]
    }

    /// Global size of a 3-D launch over an `across × down × deep` grid, dimension 0 rounded up to a multiple of 8
    /// (the kernels guard the excess) so the driver can make work-groups of several work-items along it.
    func grid(_ across: Int, _ down: Int, _ deep: Int) -> [Int] { [(across + 7) / 8 * 8, down, deep] }

    private func launch(_ name: String, global: [Int], arguments: [KernelArgument]) throws -> Event? {
        let kernel = try kernel(name)
        for (index, argument) in arguments.enumerated() { try kernel.set(index, argument) }
        return try kernel.enqueue(global: global, local: nil, timed: true)
    }

    @discardableResult
    public func conv2dIm2col(shape: Conv2dShape, x: Buffer<Float>, columns: Buffer<Float>) throws -> Event? {
        try launch("conv2d_im2col", global: grid(shape.outWidth, shape.outHeight, shape.batch), arguments: geometry(shape) + [x, columns])
    }

    @discardableResult
    public func conv2dRowsToNCHW(shape: Conv2dShape, rows: Buffer<Float>, y: Buffer<Float>) throws -> Event? {
        try launch("conv2d_rows_to_nchw", global: grid(shape.outHeight * shape.outWidth, shape.outChannels, shape.batch), Int32(shape.batch),
                   Int32(shape.outChannels), Int32(shape.outHeight * shape.outWidth), rows, y)
    }

    @discardableResult
    public func conv2dNCHWToRows(shape: Conv2dShape, dy: Buffer<Float>, rows: Buffer<Float>) throws -> Event? {
        try launch("conv2d_nchw_to_rows", global: grid(shape.outChannels, shape.outHeight * shape.outWidth, shape.batch), Int32(shape.batch),
                   Int32(shape.outChannels), Int32(shape.outHeight * shape.outWidth), dy, rows)
    }

    /// - Parameter activation: this layer's input when it is a ReLU output (or a max-pool of one); where it is ≤ 0
    ///   the gradient is zeroed. nil otherwise.
    @discardableResult
    public func conv2dCol2im(shape: Conv2dShape, dcolumns: Buffer<Float>, activation: Buffer<Float>?,
                             dx: Buffer<Float>) throws -> Event? {
        // Without a mask the kernel never reads the activation argument; dcolumns stands in for it.
        try launch("conv2d_col2im", global: grid(shape.width, shape.height, shape.batch * shape.inChannels),
                   arguments: geometry(shape) + [dcolumns, activation ?? dcolumns, dx, Int32(activation == nil ? 0 : 1)])
    }

    /// y (NCHW) = conv(x) + bias, then ReLU if `relu`: conv2d_im2col, matmul_forward, conv2d_rows_to_nchw.
    /// Leaves the patch matrix in `columns` for `conv2dBackward`. Returns the launches' events when profiling.
    @discardableResult
    public func conv2dForward(shape: Conv2dShape, x: Buffer<Float>, weight: Buffer<Float>, bias: Buffer<Float>,
                              columns: Buffer<Float>, rows: Buffer<Float>, y: Buffer<Float>, relu: Bool) throws -> [Event] {
        [try conv2dIm2col(shape: shape, x: x, columns: columns),
         try matmulForward(rows: shape.patchCount, inputs: shape.patchSize, outputs: shape.outChannels, x: columns,
                           weight: weight, bias: bias, y: rows, relu: relu),
         try conv2dRowsToNCHW(shape: shape, rows: rows, y: y)].compactMap { $0 }
    }

    /// dw and db from dy (NCHW) and the patch matrix `conv2dForward` left in `columns`; then, when `dx` is given,
    /// the input gradient (through the ReLU of `activation`, see `conv2dCol2im`), overwriting `columns`.
    /// conv2d_nchw_to_rows, matmul_backward_weight, then matmul_backward_input and conv2d_col2im.
    @discardableResult
    public func conv2dBackward(shape: Conv2dShape, dy: Buffer<Float>, weight: Buffer<Float>, columns: Buffer<Float>,
                               rows: Buffer<Float>, dw: Buffer<Float>, db: Buffer<Float>, dx: Buffer<Float>?,
                               activation: Buffer<Float>?) throws -> [Event] {
        let (patches, depth, outputs) = (shape.patchCount, shape.patchSize, shape.outChannels)
        var events = [try conv2dNCHWToRows(shape: shape, dy: dy, rows: rows),
                      try matmulBackwardWeight(rows: patches, inputs: depth, outputs: outputs, dy: rows, x: columns,
                                               dw: dw, db: db)]
        if let dx {
            events += [try matmulBackwardInput(rows: patches, inputs: depth, outputs: outputs, dy: rows, weight: weight,
                                               activation: nil, dx: columns),
                       try conv2dCol2im(shape: shape, dcolumns: columns, activation: activation, dx: dx)]
        }
        return events.compactMap { $0 }
    }
}
