import CBLAS
import Foundation

/// OpenBLAS, loaded at run time (see CBLAS.h), and the process-wide settings the native backend relies on.
enum OpenBLAS {
    /// The kernel family OpenBLAS runs, e.g. "SkylakeX", and the host team's thread count, for the backend's
    /// description; the reason when it cannot be loaded.
    static var configuration: String {
        do { try load() } catch { return "\(SystemLibrary.openBLAS.file) not loaded" }
        let threads = hostWorkers
        return "OpenBLAS \(String(cString: dl_openblas_get_corename())), \(threads) thread\(threads == 1 ? "" : "s")"
    }

    /// Opens OpenBLAS (once per process) and runs `selectKernelsForThisCPU`, before the first matrix product.
    static func load() throws { try loaded.get() }

    /// Loaded, OpenBLAS runs single-threaded for good: every product runs inside a part of the host team
    /// (`inParallel`), which already fills the cores.
    private static let loaded = Result { () throws(SystemLibraryError) in
        try SystemLibrary.openBLAS.load(dl_load_openblas)
        selectKernelsForThisCPU()
        dl_openblas_set_num_threads(1)
    }

    /// OpenBLAS chooses its kernels by CPU model when it is loaded, and a build older than the CPU (Debian's
    /// 0.3.21 on Emerald Rapids, model 207) falls back to the generic SSE3 "Prescott" kernels, which run this
    /// model's products 5× slower than the AVX-512 ones the CPU supports. When that happened and the user has
    /// not chosen with `OPENBLAS_CORETYPE`, this repeats OpenBLAS's own selection (`gotoblas_dynamic_init`,
    /// which honours that variable) naming the newest family the CPU's flags allow. Only exported OpenBLAS
    /// symbols are used; on a build without them, or any other CPU, nothing changes.
    private static func selectKernelsForThisCPU() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
              String(cString: dl_openblas_get_corename()).lowercased() == "prescott",
              let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let table = dl_openblas_symbol("gotoblas"),
              let reselect = dl_openblas_symbol("gotoblas_dynamic_init")
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
