import COpenCL

/// An OpenCL context on one device, with its command queue. Released when the last reference goes.
public final class Context: @unchecked Sendable {
    public let device: Device
    let context: cl_context
    let queue: cl_command_queue
    /// Whether the queue records start and end times of each command (see `Event`).
    public let profiling: Bool
    /// Kernel launches enqueued so far, for counting launches per training step.
    public internal(set) var launches = 0
    /// The command buffer `record` is filling, which launches go to instead of the queue.
    var recording: CommandBuffer?
    /// How `measure` times commands: the profiling counters until one of them proves implausible, then the
    /// wall clock for the rest of this context's life.
    public internal(set) var timing: TimingSource

    /// Where programs built in this context are cached; nil compiles every time.
    public let programCache: ProgramCache?

    public init(device: Device, profiling: Bool = false, programCache: ProgramCache? = nil) throws {
        self.device = device
        self.programCache = programCache
        self.profiling = profiling
        timing = profiling ? .profiling : .wallClock
        var deviceID: cl_device_id? = device.id
        let context = try create("clCreateContext") { oclCreateContext(nil, 1, &deviceID, nil, nil, $0) }
        do {
            let properties = cl_command_queue_properties(profiling ? CL_QUEUE_PROFILING_ENABLE : 0)
            queue = try create("clCreateCommandQueue") { oclCreateCommandQueue(context, device.id, properties, $0) }
        } catch {
            oclReleaseContext(context)
            throw error
        }
        self.context = context
    }

    deinit {
        oclReleaseCommandQueue(queue)
        oclReleaseContext(context)
    }

    /// Submits everything enqueued so far without waiting for it.
    public func flush() throws {
        try check("clFlush", oclFlush(queue))
    }

    /// Waits until every enqueued command has finished.
    public func finish() throws {
        try check("clFinish", oclFinish(queue))
    }
}
