/// How the processes of one training job reach each other: the ranks of an MPI job, or one process alone.
/// Every collective must be called by every rank in the same order.
public protocol Communicator: AnyObject {
    /// This process's rank, 0 ..< `size`; rank 0 prints, writes metrics and saves checkpoints.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `values` on every rank with their element-wise sum over all ranks.
    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws
    func sum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Replaces `values` on every rank with their element-wise maximum over all ranks.
    func maximum(_ values: UnsafeMutableBufferPointer<Double>) throws
}

extension Communicator {
    /// `values` summed over all ranks, for the few small vectors exchanged outside the step.
    public func sum(_ values: [Double]) throws -> [Double] {
        var values = values
        try values.withUnsafeMutableBufferPointer { try sum($0) }
        return values
    }
}

/// A job of one process: every collective is the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {}
    public func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {}
    public func maximum(_ values: UnsafeMutableBufferPointer<Double>) throws {}
}
