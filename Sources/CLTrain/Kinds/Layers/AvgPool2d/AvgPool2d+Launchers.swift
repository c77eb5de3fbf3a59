import CLKit

/// Launchers of Kernels/avgpool2d.cl: one work-item per output (forward, a 1-D grid) or input (backward, a grid of
/// planes), in work-groups `cltrain tune` may choose.
extension KernelLibrary {
    /// The sizes both kernels take first, in their order: the tuning key of their launches (`GridShape`).
    private func geometry(_ s: AvgPool2dShape) -> [Int] {
        [s.planes, s.height, s.width, s.kernelHeight, s.kernelWidth, s.strideHeight, s.strideWidth, s.outHeight, s.outWidth]
    }

    @discardableResult
    public func avgPool2dForward(shape: AvgPool2dShape, x: Buffer<Float>, y: Buffer<Float>) throws -> Event? {
        let sizes = geometry(shape)
        return try launch(tunable: "avgpool2d_forward", sizes: sizes, rule: 0, global: { _ in self.linear(shape.outputCount) },
                          arguments: sizes.map { Int32($0) } + [x, y]).event
    }

    /// - Parameter mask: zero the gradient where `x` (an absorbed ReLU's output) is not positive.
    @discardableResult
    public func avgPool2dBackward(shape: AvgPool2dShape, dy: Buffer<Float>, x: Buffer<Float>, mask: Bool,
                                  dx: Buffer<Float>) throws -> Event? {
        let sizes = geometry(shape)
        return try launch(tunable: "avgpool2d_backward", sizes: sizes, rule: 0,
                          global: { _ in self.linear(shape.height * shape.width) + [shape.planes] },
                          arguments: sizes.map { Int32($0) } + [dy, x, Int32(mask ? 1 : 0), dx]).event
    }
}
