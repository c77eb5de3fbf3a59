import CLKit
import Foundation

/// cltrain's folder in the user's cache: `$XDG_CACHE_HOME/cltrain`, else `~/.cache/cltrain`. It holds the
/// datasets `cltrain fetch` writes and the compiled programs.
public func cacheFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
        ?? (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.cache"
    return base + "/cltrain"
}

extension ProgramCache {
    /// The commands' program cache: `$CLTRAIN_PROGRAM_CACHE` (a folder, or `off` for none), else
    /// `programs` in `cacheFolder`.
    public static func user(environment: [String: String] = ProcessInfo.processInfo.environment) -> ProgramCache? {
        switch environment["CLTRAIN_PROGRAM_CACHE"] {
        case "off": return nil
        case let folder? where !folder.isEmpty: return ProgramCache(directory: folder)
        default: return ProgramCache(directory: cacheFolder(environment: environment) + "/programs")
        }
    }
}
