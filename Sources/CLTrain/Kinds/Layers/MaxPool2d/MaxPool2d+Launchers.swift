import CLKit

/// Launchers of Kernels/maxpool2d.cl, in the geometry that file documents, in work-groups `cltrain tune` may choose. `indices` (`shape.outputCount` Int32)
/// stays on the device between the forward and the backward pass.
extension KernelLibrary {
    /// The sizes both kernels take first, in their order: the tuning key of their launches (`GridShape`).
    private func geometry(_ shape: MaxPool2dShape) -> [Int] {
        [shape.planes, shape.height, shape.width, shape.kernel, shape.stride, shape.outHeight, shape.outWidth]
    }

    @discardableResult
    public func maxPool2dForward(shape: MaxPool2dShape, x: Buffer<Float>, y: Buffer<Float>,
                                 indices: Buffer<Int32>) throws -> Event? {
        let sizes = geometry(shape)
        return try launch(tunable: "maxpool2d_forward", sizes: sizes, rule: 0,
                          global: { _ in [(shape.outWidth + 7) / 8, shape.outHeight, shape.planes] },
                          arguments: sizes.map { Int32($0) } + [x, y, indices]).event
    }

    @discardableResult
    public func maxPool2dBackward(shape: MaxPool2dShape, dy: Buffer<Float>, indices: Buffer<Int32>,
                                  dx: Buffer<Float>) throws -> Event? {
        let sizes = geometry(shape)
        return try launch(tunable: "maxpool2d_backward", sizes: sizes, rule: 0,
                          global: { _ in [(shape.width + 15) / 16, shape.height, shape.planes] },
                          arguments: sizes.map { Int32($0) } + [dy, indices, dx]).event
    }
}
