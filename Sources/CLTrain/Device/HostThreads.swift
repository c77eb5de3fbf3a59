import Foundation

/// How many threads compute on the host: `--cpu`'s team (`HostTeam`, `count` threads, OpenBLAS single-threaded
/// inside each part), PoCL's CPU device's for OpenCL.
public enum HostThreads {
    /// Applies `count` to both. The team's operations read `count` when a native backend is built, and PoCL its
    /// variables when the OpenCL platform is first queried, so this must run before any OpenCL call; it overrides
    /// values set in the environment, as an explicit option should.
    public static func set(_ count: Int) {
        setenv("OPENBLAS_NUM_THREADS", "\(count)", 1)
        // PoCL 3.x (Debian 12) takes its compute units from POCL_MAX_PTHREAD_COUNT (measured: `devices` reports 1
        // with it, 2 with POCL_CPU_MAX_CU_NUM or POCL_CPU_MAX_CU_COUNT); later versions read POCL_CPU_MAX_CU_COUNT.
        setenv("POCL_CPU_MAX_CU_COUNT", "\(count)", 1)
        setenv("POCL_MAX_PTHREAD_COUNT", "\(count)", 1)
    }

    /// `--cpu`'s team: the count `set` chose, else `OPENBLAS_NUM_THREADS` (OpenBLAS's own variable, which users
    /// of it already set), else every core. Read from the environment, so it is the same before and after
    /// OpenBLAS loads (the memory estimate asks first).
    static var count: Int {
        if let value = getenv("OPENBLAS_NUM_THREADS").flatMap({ Int(String(cString: $0)) }), value > 0 { return value }
        return ProcessInfo.processInfo.activeProcessorCount
    }
}
