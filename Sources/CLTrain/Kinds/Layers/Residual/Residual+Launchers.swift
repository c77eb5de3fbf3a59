import CLKit

/// Launchers of Kernels/residual.cl: 1-D, one work-item per value.
extension KernelLibrary {
    @discardableResult
    public func residualForward(count: Int, a: Buffer<Float>, b: Buffer<Float>, relu: Bool, y: Buffer<Float>) throws -> Event? {
        try launch("residual_forward", global: linear(count), Int32(count), a, b, Int32(relu ? 1 : 0), y)
    }

    /// - Parameter reluOutput: the block's input where its gradient is masked by it; nil for none.
    @discardableResult
    public func residualBackward(count: Int, a: Buffer<Float>, b: Buffer<Float>, reluOutput: Buffer<Float>?,
                                 dx: Buffer<Float>) throws -> Event? {
        // Without a mask the kernel reads no x; a stands in for it.
        try launch("residual_backward", global: linear(count), Int32(count), a, b, reluOutput ?? a, Int32(reluOutput == nil ? 0 : 1), dx)
    }
}
