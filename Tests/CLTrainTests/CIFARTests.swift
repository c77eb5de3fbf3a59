import Foundation
import TestFixtures
import Testing
@testable import CLTrain

/// A ustar archive of `entries` (path, contents; nil: a folder; `type` overrides the type flag), as `tar` writes it.
func tarArchive(_ entries: [(path: String, contents: [UInt8]?, type: UInt8?)]) -> [UInt8] {
    var archive: [UInt8] = []
    for (path, contents, type) in entries {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (i, byte) in text.utf8.enumerated() { header[offset + i] = byte } }
        put(path, at: 0)
        put("0000644", at: 100)
        put(String(format: "%011o", contents?.count ?? 0), at: 124)
        header[156] = type ?? (contents == nil ? UInt8(ascii: "5") : UInt8(ascii: "0"))
        put("ustar", at: 257)
        put("00", at: 263)
        put("        ", at: 148)
        put(String(format: "%06o", header.reduce(0) { $0 + Int($1) }) + "\0 ", at: 148)
        archive += header + (contents ?? []) + [UInt8](repeating: 0, count: (512 - (contents?.count ?? 0) % 512) % 512)
    }
    return archive + [UInt8](repeating: 0, count: 1024)
}

@Suite struct CIFARTests {
    let folder: TemporaryFolder
    var generator = SeededGenerator(seed: freshSeed("CIFAR"))

    init() throws { folder = try TemporaryFolder() }

    mutating func images(_ count: Int) -> [UInt8] { (0..<(count * 3072)).map { _ in UInt8.random(in: 0...255, using: &generator) } }

    static let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// CIFAR-10's files in `under`: two training batches of 3 and 2 images, a test batch of 2, the names file.
    mutating func writeCIFAR10(under: String) throws -> (train: [UInt8], test: [UInt8]) {
        let (first, second, test) = (images(3), images(2), images(2))
        try folder.write(under + "/data_batch_1.bin", cifarBatch(images: first, labels: [0, 9, 3]))
        try folder.write(under + "/data_batch_2.bin", cifarBatch(images: second, labels: [4, 4]))
        try folder.write(under + "/test_batch.bin", cifarBatch(images: test, labels: [1, 8]))
        try folder.write(under + "/batches.meta.txt", Self.names.joined(separator: "\n") + "\n\n")
        return (first + second, test)
    }

    @Test mutating func cifar10BatchesLoadWithTheirNames() throws {
        let (train, test) = try writeCIFAR10(under: "data/cifar-10-batches-bin")
        let loaded = try DataRequest(directory: folder.file("data")).load()
        #expect(loaded.kind == .cifar10 && loaded.classNames == Self.names)
        #expect(loaded.train.shape == .image(channels: 3, height: 32, width: 32) && loaded.train.classes == 10)
        #expect(Array(loaded.train.images) == train && loaded.train.labels == [0, 9, 3, 4, 4])
        #expect(Array(loaded.test.images) == test && loaded.test.labels == [1, 8])
        #expect(loaded.report().contains("CIFAR-10 from ") && loaded.report().contains("3×32×32"))
    }

    @Test mutating func cifar100UsesTheFineLabel() throws {
        let (train, test) = (images(2), images(1))
        try folder.write("train.bin", cifarBatch(images: train, labels: [99, 42], coarse: true))
        try folder.write("test.bin", cifarBatch(images: test, labels: [7], coarse: true))
        let loaded = try DataRequest(directory: folder.path).load()
        #expect(loaded.kind == .cifar100 && loaded.train.labels == [99, 42] && Array(loaded.train.images) == train && loaded.train.classes == 100)
        #expect(loaded.notes == ["\(folder.file("fine_label_names.txt")): no 100 class names there; classes are numbered"])
    }

    @Test mutating func damagedBatchesAreNamed() throws {
        _ = try writeCIFAR10(under: ".")
        let batch = folder.file("data_batch_2.bin")
        let good = try FileBytes.contents(of: batch)
        try folder.write("data_batch_2.bin", Array(good.dropLast(5)))
        #expect { try DataRequest(directory: folder.path).load() } throws: {
            "\($0)" == "\(batch): 6141 bytes is not a whole number of CIFAR-10 records of 3073 bytes (label, then 3×32×32 pixels); the file is damaged"
        }
        var relabelled = good
        relabelled[3073] = 10
        try folder.write("data_batch_2.bin", relabelled)
        #expect { try DataRequest(directory: folder.path).load() } throws: { "\($0)".hasPrefix("\(batch): record 1 has label 10, ") }
    }

    @Test func tarEntriesAreCheckedBeforeUse() throws {
        let good = tarArchive([("a", nil, nil), ("a/b.bin", [1, 2, 3], nil), ("./c.txt", Array("hi".utf8), nil)])
        let entries = try Tar.entries(good, source: "t.tar")
        #expect(entries.map(\.path) == ["a", "a/b.bin", "c.txt"] && entries[1].contents.map(Array.init) == [1, 2, 3])
        for (name, type, reason) in [("../x", nil, "would land outside the destination"), ("/etc/x", nil, "would land outside"),
                                     ("a/../../x", nil, "would land outside"), ("link", UInt8(ascii: "2"), "is a link or special file")] as [(String, UInt8?, String)] {
            #expect { try Tar.entries(tarArchive([(name, [0], type)]), source: "t.tar") } throws: {
                "\($0)".hasPrefix("t.tar: tar entry \(name) ") && "\($0)".contains(reason)
            }
        }
        var damaged = good
        damaged[600] ^= 1  // inside the second header: its checksum no longer matches
        #expect { try Tar.entries(damaged, source: "t.tar") } throws: { "\($0)".contains("fails its checksum") }
        #expect { try Tar.entries(Array(good.prefix(700)), source: "t.tar") } throws: { "\($0)".hasPrefix("t.tar: a damaged tar archive") }
    }

    /// The archive from a local stand-in for the mirror: checked against the MD5 before it is read, refused when
    /// tampered with or when an entry would escape, unpacked otherwise.
    @Test mutating func fetchedArchiveIsVerifiedAndUnpackedInProcess() throws {
        _ = try writeCIFAR10(under: "source/cifar-10-batches-bin")
        let files = ["data_batch_1.bin", "data_batch_2.bin", "test_batch.bin", "batches.meta.txt"]
        let archive = try gzipped(tarArchive([("cifar-10-batches-bin", nil, nil)] + files.map { name in
            ("cifar-10-batches-bin/" + name, try! FileBytes.contents(of: folder.file("source/cifar-10-batches-bin/" + name)), nil)
        }))
        try folder.write("mirror/cifar-10-binary.tar.gz", archive)
        let server = try LocalServer(serving: folder.file("mirror"))
        // The default location of --dataset cifar10, under a cache folder of the test's own.
        let cache = folder.file("xdg/cltrain/cifar10")
        func fetch(md5: String) throws { try Fetcher.fetchArchive(.cifar10, from: server.url, md5: md5, into: cache, log: { _ in }, progress: { _ in }) }

        var tampered = archive
        tampered[archive.count / 2] ^= 0xFF
        try folder.write("mirror/cifar-10-binary.tar.gz", tampered)
        #expect { try fetch(md5: MD5.hex(archive)) } throws: {
            "\($0)".hasPrefix("\(server.url)cifar-10-binary.tar.gz: MD5 \(MD5.hex(tampered)) differs from the published \(MD5.hex(archive))")
        }
        let escaping = try gzipped(tarArchive([("../x", [1], nil)]))
        try folder.write("mirror/cifar-10-binary.tar.gz", escaping)
        #expect { try fetch(md5: MD5.hex(escaping)) } throws: { "\($0)".contains("tar entry ../x would land outside the destination") }
        #expect(!FileManager.default.fileExists(atPath: cache) && !FileManager.default.fileExists(atPath: folder.file("x")))

        try folder.write("mirror/cifar-10-binary.tar.gz", archive)
        try fetch(md5: MD5.hex(archive))
        let loaded = try DataRequest(kind: .cifar10).load(environment: ["XDG_CACHE_HOME": folder.file("xdg")])
        #expect(loaded.train.labels == [0, 9, 3, 4, 4] && loaded.classNames == Self.names)
    }
}
