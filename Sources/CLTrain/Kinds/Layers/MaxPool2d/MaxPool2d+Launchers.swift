import CLKit

/// Launchers of Kernels/maxpool2d.cl, in the geometry that file documents. `indices` (`shape.outputCount` Int32)
/// stays on the device between the forward and the backward pass.
extension KernelLibrary {
    /// The sizes both kernels take first, in their order.
    private func geometry(_ shape: MaxPool2dShape) -> [KernelArgument] {
        [Int32(shape.planes), Int32(shape.height), Int32(shape.width), Int32(shape.kernel), Int32(shape.stride),
         Int32(shape.outHeight), Int32(shape.outWidth)]
    }

    @discardableResult
    public func maxPool2dForward(shape: MaxPool2dShape, x: Buffer<Float>, y: Buffer<Float>,
                                 indices: Buffer<Int32>) throws -> Event? {
        try launch("maxpool2d_forward", global: [(shape.outWidth + 7) / 8, shape.outHeight, shape.planes],
                   arguments: geometry(shape) + [x, y, indices])
    }

    @discardableResult
    public func maxPool2dBackward(shape: MaxPool2dShape, dy: Buffer<Float>, indices: Buffer<Int32>,
                                  dx: Buffer<Float>) throws -> Event? {
        try launch("maxpool2d_backward", global: [(shape.width + 15) / 16, shape.height, shape.planes],
                   arguments: geometry(shape) + [dy, indices, dx])
    }
}
