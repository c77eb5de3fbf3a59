import Foundation

/// PoCL compiles kernels into a cache folder and, when it cannot create that folder, reports no device at all.
/// "No OpenCL device found" would then send the user to install a driver they have; this finds the real cause.
enum DriverCache {
    /// Why PoCL's cache folder cannot be created, naming the variable that places it; nil when it can be.
    static func problem(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let (variable, folder) = location(environment: environment)
        let existing = nearestExisting(folder)
        var info = stat()
        let reason: String
        if stat(existing, &info) != 0 {
            reason = "\(existing): \(String(cString: strerror(errno)))"
        } else if info.st_mode & S_IFMT != S_IFDIR {
            reason = "\(existing) is not a folder"
        } else if access(existing, W_OK | X_OK) != 0 {
            reason = "\(existing) is not writable"
        } else {
            return nil
        }
        return "PoCL cannot create its kernel cache \(folder) (\(reason)); set \(variable) to a writable folder"
    }

    /// PoCL's cache folder and the variable that places it.
    static func location(environment: [String: String]) -> (variable: String, folder: String) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let pocl = value("POCL_CACHE_DIR") { return ("POCL_CACHE_DIR", pocl) }
        if let cache = value("XDG_CACHE_HOME") { return ("XDG_CACHE_HOME", cache + "/pocl") }
        return ("HOME", (value("HOME") ?? NSHomeDirectory()) + "/.cache/pocl")
    }

    /// The nearest part of `folder` that exists: it decides whether the rest can be created, and where it lives.
    static func nearestExisting(_ folder: String) -> String {
        var existing = folder
        while !entryExists(existing), existing != "/", !existing.isEmpty {
            existing = (existing as NSString).deletingLastPathComponent
        }
        return existing
    }

    /// Room PoCL needs to compile into: our kernels take about 1.3 MB, `tune`'s variants several times that.
    static let neededBytes: UInt64 = 64 << 20

    /// What to do before OpenCL starts about the room in PoCL's cache folder. LLVM, which compiles PoCL's kernels
    /// there, stops the whole process on a failed write ("LLVM ERROR: IO failure on output stream: No space left on
    /// device") with no word from cltrain. A folder with too little room is replaced for this run by a temporary one
    /// (`POCL_CACHE_DIR`) with a warning; where that has no room either, the run cannot compile and stops.
    enum Room: Equatable {
        case enough
        case redirect(folder: String, warning: String)
        case none(String)
    }

    /// - Parameters:
    ///   - temporary: the folder a redirected cache goes under.
    ///   - freeBytes: the bytes free on the file system holding a path; statvfs's unless a test injects its own.
    static func room(environment: [String: String], temporary: String,
                     freeBytes: (String) -> UInt64? = DriverCache.freeBytes) -> Room {
        let (variable, folder) = location(environment: environment)
        guard let free = freeBytes(nearestExisting(folder)), free < neededBytes else { return .enough }
        func mib(_ bytes: UInt64) -> String { "\(bytes >> 20) MiB" }
        let replacement = temporary + "/cltrain-pocl-\(getpid())"
        guard let spare = freeBytes(nearestExisting(temporary)), spare >= neededBytes else {
            return .none("PoCL's kernel cache \(folder) has \(mib(free)) free and \(temporary) \(mib(freeBytes(nearestExisting(temporary)) ?? 0)), "
                + "less than the \(mib(neededBytes)) compiling needs; free some space or set \(variable) to a folder with room")
        }
        return .redirect(folder: replacement, warning: "PoCL's kernel cache \(folder) has only \(mib(free)) free, too little to "
            + "compile into; this run compiles in \(replacement) instead (set \(variable) to a folder with room to keep the cache)")
    }

    static func freeBytes(_ path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Applies `room` to this process before its first OpenCL call: at most once, and the warning said once.
    static func prepare() throws {
        try prepared.get()
    }

    private static let prepared: Result<Void, DeviceSelectionError> = {
        let temporary = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        switch room(environment: ProcessInfo.processInfo.environment, temporary: temporary) {
        case .enough: return .success(())
        case .none(let reason): return .failure(.driver(reason))
        case .redirect(let folder, let warning):
            setenv("POCL_CACHE_DIR", folder, 1)
            // Nothing compiled there outlives the run: the folder is removed at exit.
            redirectedFolder = folder
            atexit { if let folder = DriverCache.redirectedFolder { try? FileManager.default.removeItem(atPath: folder) } }
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            return .success(())
        }
    }()

    nonisolated(unsafe) private static var redirectedFolder: String?
}
