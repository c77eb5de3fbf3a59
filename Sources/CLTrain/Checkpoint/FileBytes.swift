#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and atomic replacement with POSIX calls, whose `errno` gives messages a user can act on
/// ("Permission denied", "No such file or directory") where Foundation's errors are often generic.
public enum FileBytes {
    /// What failed ("create /tmp/.m.safetensors.123.tmp") and the system's reason ("Permission denied").
    public struct Failure: Error {
        public let step: String
        public let reason: String
    }

    static func contents(of path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("read") }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    /// Writes `bytes` to a temporary file beside `path`, flushes it to the disk, then renames it over `path`.
    /// A crash or error at any point leaves either the old file or the new one, never a torn mix, because
    /// rename within one directory is atomic. On failure the temporary file is removed.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(Failure) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).\(UInt32.random(in: .min ... .max)).tmp"

        // O_EXCL: never write into a file some other process made under the same name.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw failure("create \(temporary)") }
        var error: Failure?
        var written = 0
        while error == nil && written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count > 0 { written += count } else if count < 0 && errno == EINTR { continue } else { error = failure("write \(temporary)") }
        }
        if error == nil && fsync(fd) != 0 { error = failure("flush \(temporary) to disk") }
        // Close exactly once whatever happened: a second close could hit a descriptor reused by another thread.
        if close(fd) != 0 && error == nil { error = failure("close \(temporary)") }
        if let error {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary) over it")
            unlink(temporary)
            throw error
        }
        // Makes the rename itself durable. The new file is already in place, so a failure here is not
        // reported: saying "not saved" about a file that was saved would mislead.
        let directoryFD = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Call right after the failing call: errno is only meaningful until the next one.
    private static func failure(_ step: String) -> Failure { Failure(step: step, reason: String(cString: strerror(errno))) }
}
