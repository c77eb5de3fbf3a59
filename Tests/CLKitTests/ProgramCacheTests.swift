import CLKit
import Foundation
import Testing

/// The compiled-program cache, always in a fresh temporary folder (never the user's cache).
@Suite struct ProgramCacheTests {
    static let source = """
        __kernel void scale(__global float *y, const float a) { y[get_global_id(0)] *= a; }
        """

    /// A fresh folder for one test; the cache creates it on first write.
    func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cltrain-program-cache-\(UUID().uuidString)").path
    }

    func context(_ folder: String) throws -> Context {
        try Context(device: try firstDevice(), programCache: ProgramCache(directory: folder))
    }

    /// Runs `scale` from `program` to prove the program works, whatever its origin.
    func scales(_ program: Program) throws -> Bool {
        let buffer = try Buffer(context: program.context, values: [Float](repeating: 3, count: 4))
        let kernel = try program.kernel("scale")
        try kernel.set(buffer, Float(2))
        try kernel.enqueue(global: [4], local: [1])
        return try buffer.read() == [6, 6, 6, 6]
    }

    func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".bin") }
    }

    @Test func secondBuildComesFromTheCache() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try Program(context: try context(folder), name: "scale", source: Self.source)
        #expect(!first.fromCache)
        #expect(entries(folder).count == 1)
        let second = try Program(context: try context(folder), name: "scale", source: Self.source)
        #expect(second.fromCache)
        #expect(try scales(second))
        // Other options or another source are other programs, never the cached one.
        #expect(!(try Program(context: try context(folder), name: "scale", source: Self.source, options: "-DX=1")).fromCache)
        #expect(!(try Program(context: try context(folder), name: "scale", source: Self.source + "\n")).fromCache)
        #expect(entries(folder).count == 3)
    }

    /// Damage of every kind makes the entry a miss: the program is compiled again and the entry rewritten.
    @Test(arguments: ["flip a binary byte", "truncate", "empty", "wrong key", "garbage with a valid checksum"])
    func damagedEntriesAreRebuilt(_ damage: String) throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try Program(context: try context(folder), name: "scale", source: Self.source)
        let path = folder + "/" + (try #require(entries(folder).first))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerEnd = bytes.indices.filter { bytes[$0] == 10 }[2] + 1
        switch damage {
        case "flip a binary byte": bytes[headerEnd + (bytes.count - headerEnd) / 2] ^= 0x5A
        case "truncate": bytes.removeLast((bytes.count - headerEnd) / 2)
        case "empty": bytes = []
        case "wrong key": bytes[30] ^= 0x01  // inside the key line: the device name
        default:
            // A checksum-valid entry whose binary is nonsense: only the driver can refuse it.
            let lines = String(decoding: bytes[..<headerEnd], as: UTF8.self).split(separator: "\n")
            let garbage = [UInt8]((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in garbage { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            bytes = Array("\(lines[0])\n\(lines[1])\n\(garbage.count) \(String(hash, radix: 16))\n".utf8) + garbage
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let rebuilt = try Program(context: try context(folder), name: "scale", source: Self.source)
        #expect(!rebuilt.fromCache, "\(damage): a damaged entry was trusted")
        #expect(try scales(rebuilt))
        #expect(try Program(context: try context(folder), name: "scale", source: Self.source).fromCache,
                "\(damage): the entry was not rewritten")
    }

    @Test func anUnwritableFolderOnlyCostsTheCache() throws {
        // A folder inside a regular file cannot be created, whoever runs the test (root too).
        let file = temporaryFolder()
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let program = try Program(context: try context(file + "/programs"), name: "scale", source: Self.source)
        #expect(!program.fromCache)
        #expect(try scales(program))
    }
}
