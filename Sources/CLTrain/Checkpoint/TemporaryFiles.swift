import Foundation

/// The temporary files `FileBytes.replace` writes, `.<name>.<pid>.tmp` beside their target. A checkpoint's is
/// as large as the model (70 MB and more), so none may outlive the write: SIGINT, SIGTERM and SIGHUP remove
/// the ones in flight, and a file left by a process killed harder is removed by the next write of its target.
enum TemporaryFiles {
    /// `directory/.name.<our pid>.tmp`.
    static func name(for path: String) -> String {
        let (directory, name) = split(path)
        return directory + "." + name + ".\(getpid()).tmp"
    }

    /// Removes temporaries of `path` whose writer is gone: the pid in their name is ours (a reused pid) or no
    /// live process's. Files of any other name, and those of a live writer, are not touched.
    static func removeStale(of path: String) {
        let (directory, name) = split(path)
        let prefix = "." + name + "."
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        where entry.hasPrefix(prefix) && entry.hasSuffix(".tmp") {
            let middle = entry.dropFirst(prefix.count).dropLast(4)
            guard !middle.isEmpty, middle.allSatisfy(\.isASCII), let pid = Int32(middle), pid > 0 else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                unlink(directory + entry)
            }
        }
    }

    /// Remembers `path` for the signal handlers; returns its slot, nil when the path is too long or all
    /// slots are taken (the next write of the target still removes it).
    static func register(_ path: String) -> Int? {
        installHandlers
        let bytes = Array(path.utf8)
        guard bytes.count < slotBytes, !bytes.contains(0) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let slot = (0..<slotCount).first(where: { slots[$0 * slotBytes] == 0 }) else { return nil }
        let start = slots + slot * slotBytes
        // The first byte is written last: a signal in between sees the slot as empty, never half a path.
        for (offset, byte) in bytes.enumerated().dropFirst() { start[offset] = CChar(bitPattern: byte) }
        start[bytes.count] = 0
        start[0] = CChar(bitPattern: bytes[0])
        return slot
    }

    static func unregister(_ slot: Int?) {
        guard let slot else { return }
        lock.lock()
        slots[slot * slotBytes] = 0
        lock.unlock()
    }

    private static let slotCount = 8
    private static let slotBytes = Int(PATH_MAX)
    private static let lock = NSLock()
    /// Plain C memory: the handler may only read memory and call async-signal-safe functions (unlink, raise).
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<CChar> = {
        let memory = UnsafeMutablePointer<CChar>.allocate(capacity: slotCount * slotBytes)
        memory.initialize(repeating: 0, count: slotCount * slotBytes)
        return memory
    }()

    /// Ready for signal handlers: the slots exist and the signals are not blocked. A parent may start cltrain with
    /// them blocked (Foundation's Process does, when called from a worker thread); blocked, they would stay pending
    /// and the run could be neither stopped nor cleaned up.
    static let prepareForSignals: Void = {
        _ = slots
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblock, number) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }()

    /// Unlinks the temporaries of the writes in flight; async-signal-safe (reads memory, calls unlink).
    static func removeInFlight() {
        for slot in 0..<slotCount where slots[slot * slotBytes] != 0 { unlink(slots + slot * slotBytes) }
    }

    /// Installed once, before the first temporary file exists, for the signals `Interruption` has not taken (a
    /// training run stops between steps instead, and cleans up itself). A signal the process ignores (`nohup`)
    /// stays ignored.
    private static let installHandlers: Void = {
        _ = prepareForSignals
        for number in [SIGINT, SIGTERM, SIGHUP] where !Interruption.handles(number) {
            handle(number) { number in
                TemporaryFiles.removeInFlight()
                // Die of the same signal, so the parent sees how the process ended.
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }()

    /// Installs `handler` for `number`, unless the process ignores it (`nohup`, a background job's SIGINT): an
    /// ignored signal stays ignored.
    static func handle(_ number: Int32, _ handler: @escaping @convention(c) (Int32) -> Void) {
        let previous = signal(number, handler)
        if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(number, SIG_IGN) }
    }

    /// ("dir/", "name") for "dir/name", ("", "name") for "name".
    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }
}
