import Foundation

/// PoCL compiles kernels into a cache folder and, when it cannot create that folder, reports no device at all.
/// "No OpenCL device found" would then send the user to install a driver they have; this finds the real cause.
enum DriverCache {
    /// Why PoCL's cache folder cannot be created, naming the variable that places it; nil when it can be.
    static func problem(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let (variable, folder): (String, String)
        if let pocl = value("POCL_CACHE_DIR") {
            (variable, folder) = ("POCL_CACHE_DIR", pocl)
        } else if let cache = value("XDG_CACHE_HOME") {
            (variable, folder) = ("XDG_CACHE_HOME", cache + "/pocl")
        } else {
            (variable, folder) = ("HOME", (value("HOME") ?? NSHomeDirectory()) + "/.cache/pocl")
        }
        // The nearest part of the path that exists decides whether the rest can be created.
        var existing = folder
        while !entryExists(existing), existing != "/", !existing.isEmpty {
            existing = (existing as NSString).deletingLastPathComponent
        }
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
}
