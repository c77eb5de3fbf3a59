import CBLAS
import Foundation

/// The process-wide OpenBLAS settings the native backend relies on.
enum OpenBLAS {
    /// The kernel family OpenBLAS runs, e.g. "SkylakeX", and its thread count, for the backend's description.
    static var configuration: String {
        let threads = openblas_get_num_threads()
        return "OpenBLAS \(String(cString: openblas_get_corename())), \(threads) thread\(threads == 1 ? "" : "s")"
    }

    /// Runs `selectKernelsForThisCPU` once per process, before the first matrix product.
    static let prepared: Void = selectKernelsForThisCPU()

    /// OpenBLAS chooses its kernels by CPU model when it is loaded, and a build older than the CPU (Debian's
    /// 0.3.21 on Emerald Rapids, model 207) falls back to the generic SSE3 "Prescott" kernels, which run this
    /// model's products 5× slower than the AVX-512 ones the CPU supports. When that happened and the user has
    /// not chosen with `OPENBLAS_CORETYPE`, this repeats OpenBLAS's own selection (`gotoblas_dynamic_init`,
    /// which honours that variable) naming the newest family the CPU's flags allow. Only exported OpenBLAS
    /// symbols are used; on a build without them, or any other CPU, nothing changes.
    private static func selectKernelsForThisCPU() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
              String(cString: openblas_get_corename()).lowercased() == "prescott",
              let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let table = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas"),
              let reselect = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_init")
        else { return }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let families: [(name: String, needs: Set<String>)] = [
            ("SkylakeX", ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]),
            ("Haswell", ["avx2", "fma"]),
        ]
        guard let family = families.first(where: { $0.needs.isSubset(of: flags) }) else { return }
        setenv("OPENBLAS_CORETYPE", family.name, 1)
        defer { unsetenv("OPENBLAS_CORETYPE") }
        // `gotoblas_dynamic_init` returns at once while a kernel table is set.
        table.assumingMemoryBound(to: UnsafeRawPointer?.self).pointee = nil
        unsafeBitCast(reselect, to: (@convention(c) () -> Void).self)()
    }
}
