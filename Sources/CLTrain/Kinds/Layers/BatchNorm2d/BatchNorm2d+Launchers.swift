import CLKit

/// Launchers of Kernels/batchnorm2d.cl: one work-group of the reduction size per channel.
extension KernelLibrary {
    private func channelGroups(_ shape: BatchNormShape) -> (global: [Int], local: [Int]) {
        ([shape.channels * configuration.reductionGroup], reduction)
    }

    /// - Parameters:
    ///   - weightAndBias: the layer's parameters, `weight` then `bias`.
    ///   - runningStatistics: `running_mean`, then `running_var`: read in evaluation, updated in training.
    ///   - saved: 2·channels values the training pass writes for `batchNormBackward`.
    @discardableResult
    public func batchNormForward(shape: BatchNormShape, x: Buffer<Float>, weightAndBias: [Buffer<Float>],
                                 runningStatistics: [Buffer<Float>], saved: Buffer<Float>, y: Buffer<Float>,
                                 training: Bool, relu: Bool) throws -> Event? {
        let (global, local) = channelGroups(shape)
        return try launch("batchnorm_forward", global: global, local: local,
                          Int32(shape.batch), Int32(shape.channels), Int32(shape.spatial), shape.eps, shape.momentum,
                          Int32(training ? 1 : 0), Int32(relu ? 1 : 0), x, weightAndBias[0], weightAndBias[1],
                          runningStatistics[0], runningStatistics[1], saved, y)
    }

    /// - Parameters:
    ///   - gradients: the weight's and the bias's, written.
    ///   - dx: the input's gradient, or nil where nothing before the layer needs it.
    ///   - mask: zero dx where `x` (an absorbed ReLU's output) is not positive.
    @discardableResult
    public func batchNormBackward(shape: BatchNormShape, x: Buffer<Float>, dy: Buffer<Float>, weight: Buffer<Float>,
                                  saved: Buffer<Float>, gradients: [Buffer<Float>], dx: Buffer<Float>?, mask: Bool) throws -> Event? {
        let (global, local) = channelGroups(shape)
        // Without dx the kernel writes none; dy stands in for the argument.
        return try launch("batchnorm_backward", global: global, local: local,
                          Int32(shape.batch), Int32(shape.channels), Int32(shape.spatial), Int32(mask ? 1 : 0),
                          Int32(dx == nil ? 0 : 1), x, dy, weight, saved, gradients[0], gradients[1], dx ?? dy)
    }
}
