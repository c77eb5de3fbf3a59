import Foundation

/// Compiled programs kept on disk (`CL_PROGRAM_BINARIES`), so a second run does not compile again.
///
/// An entry is found by a hash of its key: device name, vendor, driver version, platform, program name, build
/// options and a hash of the source. The entry holds the whole key and a checksum of the binary, and is used
/// only when both match and the driver accepts and builds the binary; anything else is compiled from source
/// and written again. Entries are written atomically (a temporary file renamed into place). A folder that
/// cannot be written costs only the speed-up: one warning line per process, then the run goes on uncached.
public struct ProgramCache: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// Entries larger than this are not read: no compiled program of ours comes near it.
    static let largestEntry = 256 << 20
    static let magic = "cltrain program cache 1"

    /// The key of one program on one device: what must match for a binary to be reused.
    static func key(device: Device, name: String, source: String, options: String) -> String {
        [device.name, device.vendor, device.driverVersion, device.platformName, name, options,
         String(fnv1a(Array(source.utf8)), radix: 16)]
            .map { $0.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ") }
            .joined(separator: "\t")
    }

    func path(forKey key: String) -> String {
        directory + "/" + String(ProgramCache.fnv1a(Array(key.utf8)), radix: 16) + ".bin"
    }

    /// The binary stored under `key`, or nil when there is none or the entry is damaged or someone else's.
    func binary(forKey key: String) -> [UInt8]? {
        let path = path(forKey: key)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
              size <= ProgramCache.largestEntry,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        // Three header lines: magic, key, "size checksum"; then the binary.
        var lines: [String] = [], start = 0
        while lines.count < 3, let end = bytes[start...].firstIndex(of: 10) {
            lines.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = end + 1
        }
        guard lines.count == 3, lines[0] == ProgramCache.magic, lines[1] == key else { return nil }
        let fields = lines[2].split(separator: " ")
        let binary = Array(bytes[start...])
        guard fields.count == 2, Int(fields[0]) == binary.count, !binary.isEmpty,
              UInt64(fields[1], radix: 16) == ProgramCache.fnv1a(binary) else { return nil }
        return binary
    }

    /// Stores `binary` under `key`, replacing any entry; failures only warn (once per process).
    func store(_ binary: [UInt8], forKey key: String) {
        let header = "\(ProgramCache.magic)\n\(key)\n\(binary.count) \(String(ProgramCache.fnv1a(binary), radix: 16))\n"
        var reason: String
        if let failure = ProgramCache.makeFolder(directory) {
            reason = failure
        } else {
            do {
                try Data(Array(header.utf8) + binary).write(to: URL(fileURLWithPath: path(forKey: key)), options: .atomic)
                return
            } catch {
                // Foundation wraps the system's reason (a full disk: "No space left on device") in an error of its own.
                let underlying = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
                if let underlying, underlying.domain == NSPOSIXErrorDomain {
                    reason = String(cString: strerror(Int32(underlying.code)))
                } else {
                    reason = access(directory, W_OK) == 0 ? "\(error)" : String(cString: strerror(errno))
                }
            }
        }
        ProgramCache.warnOnce("warning: cannot write the compiled-program cache in \(directory) (\(reason)); going on without it")
    }

    /// Creates `path` and its missing parents; returns the system's reason when it cannot
    /// (Foundation's own errors hide it behind "error 512").
    private static func makeFolder(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return "\(prefix): \(String(cString: strerror(errno)))" }
        }
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return "\(path): not a directory" }
        return nil
    }

    /// 64-bit FNV-1a: a fast hash for file names and corruption checks (not a defence against tampering:
    /// a binary that passes the checksum still has to be accepted and built by the driver).
    public static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    private static let warning = NSLock()
    nonisolated(unsafe) private static var warned = false

    private static func warnOnce(_ message: String) {
        warning.lock()
        defer { warning.unlock() }
        guard !warned else { return }
        warned = true
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
