import CLKit

/// Launchers of Kernels/avgpool2d.cl: 1-D grids, one work-item per output (forward) or input (backward).
extension KernelLibrary {
    /// The sizes both kernels take first, in their order.
    private func geometry(_ s: AvgPool2dShape) -> [KernelArgument] {
        [Int32(s.planes), Int32(s.height), Int32(s.width), Int32(s.kernelHeight), Int32(s.kernelWidth),
         Int32(s.strideHeight), Int32(s.strideWidth), Int32(s.outHeight), Int32(s.outWidth)]
    }

    @discardableResult
    public func avgPool2dForward(shape: AvgPool2dShape, x: Buffer<Float>, y: Buffer<Float>) throws -> Event? {
        try launch("avgpool2d_forward", global: linear(shape.outputCount), arguments: geometry(shape) + [x, y])
    }

    /// - Parameter mask: zero the gradient where `x` (an absorbed ReLU's output) is not positive.
    @discardableResult
    public func avgPool2dBackward(shape: AvgPool2dShape, dy: Buffer<Float>, x: Buffer<Float>, mask: Bool,
                                  dx: Buffer<Float>) throws -> Event? {
        try launch("avgpool2d_backward", global: linear(shape.inputCount),
                   arguments: geometry(shape) + [dy, x, Int32(mask ? 1 : 0), dx])
    }
}
