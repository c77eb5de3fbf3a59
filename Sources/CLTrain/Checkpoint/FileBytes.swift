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
        /// The `errno` behind it, 0 where cltrain refused on its own (a FIFO, a file past the limit).
        public let code: Int32

        init(step: String, reason: String, code: Int32 = 0) {
            self.step = step
            self.reason = reason
            self.code = code
        }
    }

    /// The most bytes any input is read to (4 GiB): well above MNIST's 110 MB CSV, and a bound on memory that
    /// holds whatever a file or a gzip stream claims about itself.
    public static let readLimit = 1 << 32

    /// The bytes of the regular file at `path`. Anything else (a folder, FIFO, device, socket) is refused before
    /// one byte is read: `/dev/zero` would never end and a FIFO would wait forever for a writer.
    static func contents(of path: String, limit: Int = readLimit) throws(Failure) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("stat") }
        if let kind = nonRegularKind(info.st_mode) {
            throw Failure(step: "read", reason: "it is \(kind), not a regular file", code: kind == "a folder" ? EISDIR : 0)
        }
        guard Int(info.st_size) <= limit else { throw tooLarge(Int(info.st_size), limit: limit) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        // No larger than the file (plus one byte to see its end): an image folder reads thousands of small files.
        var chunk = [UInt8](repeating: 0, count: min(1 << 20, Int(info.st_size) + 1))
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("read") }
            if count == 0 { return bytes }
            // A file that grows while it is read is held to the same limit.
            guard bytes.count + count <= limit else { throw tooLarge(bytes.count + count, limit: limit) }
            bytes += chunk[0..<count]
        }
    }

    /// Writes `bytes` to a temporary file beside `path`, flushes it to the disk, then renames it over `path`.
    /// A crash or error at any point leaves either the old file or the new one, never a torn mix, because
    /// rename within one directory is atomic. On failure, SIGINT or SIGTERM the temporary file is removed, and
    /// one left by a process that was killed harder is removed by the next replacement of the same file.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(Failure) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var existing = stat()
        if lstat(path, &existing) == 0, let kind = nonRegularKind(existing.st_mode) {
            // Renaming over a FIFO, device or symbolic link would replace it with a regular file.
            throw Failure(step: "replace it", reason: "it is \(kind), not a regular file")
        }
        TemporaryFiles.removeStale(of: path)
        let temporary = TemporaryFiles.name(for: path)
        let slot = TemporaryFiles.register(temporary)
        defer { TemporaryFiles.unregister(slot) }

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

    /// "a FIFO (named pipe)", "a folder", …, or nil for a regular file.
    public static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }

    static func tooLarge(_ bytes: Int, limit: Int = readLimit) -> Failure {
        Failure(step: "read", reason: "it holds more than \(limit) bytes (\(bytes) or more), the most cltrain reads")
    }

    /// Call right after the failing call: errno is only meaningful until the next one.
    private static func failure(_ step: String) -> Failure {
        let code = errno
        return Failure(step: step, reason: String(cString: strerror(code)), code: code)
    }
}
