import CBLAS
import Foundation

/// How many threads compute on the host: OpenBLAS's for `--cpu`, PoCL's CPU device's for OpenCL. The native
/// backend's own loops run on one thread, so OpenBLAS's count is the whole of `--cpu`'s.
public enum HostThreads {
    /// Applies `count` to both. PoCL reads its variables when the OpenCL platform is first queried, so this must
    /// run before any OpenCL call; it overrides values set in the environment, as an explicit option should.
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(count))
        setenv("POCL_CPU_MAX_CU_NUM", "\(count)", 1)
        setenv("POCL_MAX_PTHREAD_COUNT", "\(count)", 1)
    }
}
