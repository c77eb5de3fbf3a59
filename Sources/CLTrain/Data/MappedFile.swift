#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file mapped read-only: its pages are read from the disk as they are first touched, and
/// `evictPages` lets the kernel take them back from this process (they stay in the page cache, so touching them
/// again costs a minor fault, not a disk read). Scattered small reads go through `read` instead: touching the
/// mapping at random maps 64 KiB around each touch (the kernel's fault-around; `MADV_RANDOM` does not stop it),
/// which for a shuffled chunk of MNIST images mapped 36 of its 45 MiB. The size is taken once, before mapping, and
/// every access stays inside it; a file truncated by another process while it is mapped would fault on the lost
/// pages through the mapping (`read` reports it instead), so only inputs are mapped, never files cltrain writes.
final class MappedFile: @unchecked Sendable {
    let path: String
    /// The file's bytes; empty (and unmapped) for an empty file.
    let bytes: UnsafeBufferPointer<UInt8>
    /// Kept open for `read`.
    private let descriptor: Int32

    /// Maps the regular file at `path`. Anything else (a folder, FIFO, device, socket) is refused before it is
    /// mapped, as `FileBytes.contents` refuses it.
    init(path: String) throws(FileBytes.Failure) {
        self.path = path
        // O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("open") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let failure = Self.failure("stat")
            close(fd)
            throw failure
        }
        if let kind = FileBytes.nonRegularKind(info.st_mode) {
            close(fd)
            throw FileBytes.Failure(step: "read", reason: "it is \(kind), not a regular file", code: kind == "a folder" ? EISDIR : 0)
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            (bytes, descriptor) = (UnsafeBufferPointer(start: nil, count: 0), fd)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            let failure = Self.failure("map")
            close(fd)
            throw failure
        }
        (bytes, descriptor) = (UnsafeBufferPointer(start: address.bindMemory(to: UInt8.self, capacity: size), count: size), fd)
    }

    deinit {
        if let start = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: start), bytes.count) }
        close(descriptor)
    }

    /// Copies bytes `range` (inside `bytes`) to `destination` by reading the file, without touching the mapping.
    func read(_ range: Range<Int>, into destination: UnsafeMutablePointer<UInt8>) throws(FileBytes.Failure) {
        var done = 0
        while done < range.count {
            let count = pread(descriptor, destination + done, range.count - done, off_t(range.lowerBound + done))
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Self.failure("read") }
            guard count > 0 else { throw FileBytes.Failure(step: "read", reason: "it is shorter than when it was opened") }
            done += count
        }
    }

    /// Drops the pages touched so far from this process's resident memory; the mapping stays valid.
    func evictPages() {
        if let start = bytes.baseAddress { madvise(UnsafeMutableRawPointer(mutating: start), bytes.count, Int32(MADV_DONTNEED)) }
    }

    /// Call right after the failing call: errno is only meaningful until the next one.
    private static func failure(_ step: String) -> FileBytes.Failure {
        let code = errno
        return FileBytes.Failure(step: step, reason: String(cString: strerror(code)), code: code)
    }
}
