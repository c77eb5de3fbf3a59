import Dispatch

/// Where a measured duration came from.
public enum TimingSource: String, Sendable, Codable {
    /// The device's profiling counters (start and end of the command on the device).
    case profiling = "profiling events"
    /// The host's clock around the enqueue and the wait: includes launch overhead, but is never wrong in unit.
    case wallClock = "wall clock"
}

extension Context {
    /// Runs `launch`, waits for the queue, and returns how long the command took: the profiling counters' figure
    /// when it is plausible, else the wall clock's. Some drivers fill the counters with something other than
    /// nanoseconds (Rusticl 23: queued 0, submitted 1, started 2, ended 3), which would print a 1 ns kernel.
    public func measure(_ launch: () throws -> Event?) throws -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        let event = try launch()
        try finish()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
        guard timing == .profiling, let event else { return wall }
        let profiled = try event.seconds()
        if Context.plausible(profiled: profiled, wall: wall) { return profiled }
        timing = .wallClock
        return wall
    }

    /// Whether a profiled duration can be true of a command that took `wall` seconds on the host's clock from
    /// enqueue to completion: at least 100 ns (no device starts and ends a kernel faster; a counter that ticks
    /// once per command gives 1 ns) and no longer than the host waited, with a millisecond for clock skew.
    public static func plausible(profiled: Double, wall: Double) -> Bool {
        profiled >= 100e-9 && profiled <= wall * 1.5 + 1e-3
    }
}
