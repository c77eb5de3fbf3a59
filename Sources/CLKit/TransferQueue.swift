import COpenCL

/// A second command queue on a context, for uploads that run while the context's own queue computes. The two
/// queues are ordered only through events: an upload waits for a `Context.marker` (the kernels that read the
/// buffer before have finished), and the context's queue waits for the upload (`Context.wait(for:)`) before the
/// kernels that read the new contents. Its commands are profiled, so an upload's device time can be read from its
/// event.
public final class TransferQueue: @unchecked Sendable {
    public let context: Context
    let queue: cl_command_queue

    public init(context: Context) throws {
        self.context = context
        queue = try create("clCreateCommandQueue") {
            oclCreateCommandQueue(context.context, context.device.id, cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE), $0)
        }
    }

    deinit { oclReleaseCommandQueue(queue) }

    /// Starts copying `values` to the start of `buffer` once `after` (if any) has completed, and returns at once.
    /// The copy is complete when the returned event is; `values` must stay allocated and untouched until then.
    /// Copies queued here run in the order they were queued.
    public func write<Element>(_ values: UnsafeBufferPointer<Element>, to buffer: Buffer<Element>, after: Event?) throws -> Event {
        precondition(values.count > 0 && values.count <= buffer.count, "write past the end of a \(buffer.count)-element buffer")
        let waitFor: [cl_event?] = after.map { [$0.event] } ?? []
        var event: cl_event?
        try waitFor.withUnsafeBufferPointer { waitList in
            try check("clEnqueueWriteBuffer", oclEnqueueWriteBuffer(
                queue, buffer.mem, cl_bool(CL_FALSE), 0, values.count * MemoryLayout<Element>.stride, values.baseAddress,
                cl_uint(waitList.count), waitList.isEmpty ? nil : waitList.baseAddress, &event))
        }
        return Event(event!)
    }

    /// Submits the queued copies without waiting for them.
    public func flush() throws {
        try check("clFlush", oclFlush(queue))
    }
}

extension Context {
    /// An event that completes once every command queued so far on this context's queue has.
    public func marker() throws -> Event {
        var event: cl_event?
        try check("clEnqueueMarkerWithWaitList", oclEnqueueMarkerWithWaitList(queue, 0, nil, &event))
        return Event(event!)
    }

    /// Makes the commands queued from now on wait until `event`, a command of another queue, has completed.
    public func wait(for event: Event) throws {
        var waitFor: cl_event? = event.event
        try check("clEnqueueBarrierWithWaitList", oclEnqueueBarrierWithWaitList(queue, 1, &waitFor, nil))
    }
}
