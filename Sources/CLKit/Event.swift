import COpenCL

/// A command's completion event; with a profiling queue, its device-side duration.
public final class Event: @unchecked Sendable {
    let event: cl_event

    init(_ event: cl_event) { self.event = event }

    deinit { oclReleaseEvent(event) }

    /// Waits until the command has finished.
    public func wait() throws {
        var e: cl_event? = event
        try check("clWaitForEvents", oclWaitForEvents(1, &e))
    }

    /// Waits for the command, then returns how long it ran on the device, in seconds, as the profiling
    /// counters say; `Context.measure` checks that figure against the wall clock.
    public func seconds() throws -> Double {
        try wait()
        let start = try time(CL_PROFILING_COMMAND_START), end = try time(CL_PROFILING_COMMAND_END)
        return end < start ? -1 : Double(end - start) * 1e-9
    }

    private func time(_ info: Int32) throws -> cl_ulong {
        var value: cl_ulong = 0
        try check("clGetEventProfilingInfo", oclGetEventProfilingInfo(
            event, cl_profiling_info(info), MemoryLayout<cl_ulong>.size, &value, nil))
        return value
    }
}
