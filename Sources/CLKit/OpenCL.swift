import COpenCL
import Foundation

/// Entry point: loads the OpenCL ICD loader on first use and enumerates platforms.
public enum OpenCL {
    private static let loadResult: Result<Void, CLError> = {
        var message = [CChar](repeating: 0, count: 512)
        if ocl_load(nil, &message, message.count) == 0 { return .success(()) }
        return .failure(.libraryUnavailable(String(cString: message)))
    }()

    /// Opens libOpenCL.so.1 (or `$CLTRAIN_OPENCL_LIBRARY`); throws `CLError.libraryUnavailable` if it can't.
    public static func load() throws {
        try loadResult.get()
    }

    /// Serializes platform and device discovery: the ICD loader initializes itself on the first query and is
    /// not safe when several threads make it at once (seen with ocl-icd: empty lists, then a crash).
    static let discovery = NSLock()

    /// Every platform the ICD loader knows; an empty list when none is installed.
    public static func platforms() throws -> [Platform] {
        try load()
        discovery.lock()
        defer { discovery.unlock() }
        // The Khronos loader reports "no ICD installed" as CL_PLATFORM_NOT_FOUND_KHR rather than zero platforms.
        let ids = try handles("clGetPlatformIDs", { oclGetPlatformIDs($0, $1, $2) }, notFound: -1001)
        return try ids.enumerated().map { try Platform(id: $0.element, index: $0.offset) }
    }
}
