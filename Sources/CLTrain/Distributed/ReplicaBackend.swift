/// A backend that can be one replica of data-parallel training (`DataParallelBackend`): its step splits into the
/// gradient of a slice of the global batch, an exchange of gradients with the other replicas, and the update.
/// `trainStep` is `computeGradients` followed by `applyUpdate`.
public protocol ReplicaBackend: TrainingBackend {
    /// Queues the forward and backward pass over samples `order[start ..< start + count]` (`count` may be 0: a
    /// replica with no rows of a short batch), their mean loss recorded as batch `batch`, and counts the step.
    func computeGradients(batch: Int, start: Int, count: Int) throws

    /// Waits for the step, then adds `weight` × this replica's contribution to `sum`, laid out as the host holds it:
    /// the gradients (`Parameters.values` order), the layers' buffers (`Parameters.buffers` order), batch `batch`'s loss.
    func accumulate(into sum: UnsafeMutableBufferPointer<Float>, weight: Float, batch: Int) throws

    /// Replaces the gradients, the layers' buffers and batch `batch`'s loss with those in `sum` (laid out as above).
    func assign(from sum: UnsafeBufferPointer<Float>, batch: Int) throws

    /// Queues the optimizer's update of the parameters from the gradients at `learningRate`.
    func applyUpdate(learningRate: Float) throws
}

extension Model {
    /// Values one replica exchanges per step: every gradient, every buffer value and the batch's loss.
    public var exchangeCount: Int { parameterCount + bufferCount + 1 }
    /// Where the gradients, the buffers and the loss lie in the exchanged vector.
    var exchangedGradients: Range<Int> { 0..<parameterCount }
    var exchangedBuffers: Range<Int> { parameterCount..<(parameterCount + bufferCount) }
    var exchangedLoss: Int { parameterCount + bufferCount }
}
