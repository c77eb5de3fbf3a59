import COpenCL

/// A sequence of kernel launches recorded once on a context's queue and enqueued again as one command, where the
/// device has `cl_khr_command_buffer`. While `Context.record` runs its body, `Kernel.enqueue` appends to the buffer
/// instead of the queue, with the kernel's arguments as they are then: a replay repeats them exactly.
///
/// Each command gets a kernel object of its own, given the launch's arguments, which nothing sets again. The
/// extension says a command captures its arguments when recorded, but PoCL 3.1 reads them when the buffer runs:
/// three commands of one kernel recorded with different arguments, then the arguments set once more, all ran
/// with the last ones.
public final class CommandBuffer {
    public let context: Context
    let buffer: ocl_command_buffer
    /// The sync point of the last command recorded: each command waits for the one before, as on an in-order queue.
    var lastSyncPoint: cl_uint = 0
    /// The kernel objects of the commands recorded so far.
    private var kernels: [Kernel] = []
    public var commands: Int { kernels.count }
    private var finalized = false

    /// Throws when the device lacks the extension or its driver refuses the buffer.
    public init(context: Context) throws {
        guard context.device.offersCommandBuffers else {
            throw CLError.call("clCreateCommandBufferKHR (\(context.device.name) has no cl_khr_command_buffer)",
                               code: CLError.invalidOperation)
        }
        try check("clGetExtensionFunctionAddressForPlatform(clCreateCommandBufferKHR)",
                  ocl_command_buffer_load(context.device.id) == 0 ? CL_SUCCESS : CLError.invalidOperation)
        self.context = context
        buffer = try create("clCreateCommandBufferKHR") { oclCreateCommandBufferKHR(context.queue, $0) }
    }

    deinit { _ = oclReleaseCommandBufferKHR(buffer) }

    func append(_ launched: Kernel, global: [Int], local: [Int]?) throws {
        precondition(!finalized, "a finalized command buffer takes no more commands")
        let kernel = try Kernel(program: launched.program, name: launched.name)
        for (index, argument) in launched.arguments.enumerated() {
            if let argument { try kernel.set(index, argument) }
        }
        let status = global.withUnsafeBufferPointer { g in
            (local ?? []).withUnsafeBufferPointer { l in
                oclCommandNDRangeKernelKHR(buffer, kernel.kernel, cl_uint(g.count), g.baseAddress,
                                           local == nil ? nil : l.baseAddress, &lastSyncPoint, kernels.isEmpty ? 0 : 1)
            }
        }
        try check("clCommandNDRangeKernelKHR(\(kernel.name))", status)
        kernels.append(kernel)
    }

    /// Ends recording; the buffer can be enqueued from then on.
    public func finalize() throws {
        try check("clFinalizeCommandBufferKHR", oclFinalizeCommandBufferKHR(buffer))
        finalized = true
    }

    /// Enqueues every recorded command on the context's queue, after what is queued already; returns at once.
    public func enqueue() throws {
        precondition(finalized, "a command buffer is enqueued only once finalized")
        try check("clEnqueueCommandBufferKHR", oclEnqueueCommandBufferKHR(buffer))
        // One command on the queue, as a launch is: what `launches` counts per step.
        context.launches += 1
    }
}

extension Context {
    /// Runs `body` with its kernel launches recorded into a new command buffer instead of queued, and returns
    /// the buffer finalized. The body must not read or write buffers: only launches are recorded.
    public func record(_ body: () throws -> Void) throws -> CommandBuffer {
        precondition(recording == nil, "one recording at a time")
        let buffer = try CommandBuffer(context: self)
        recording = buffer
        defer { recording = nil }
        try body()
        try buffer.finalize()
        return buffer
    }
}
