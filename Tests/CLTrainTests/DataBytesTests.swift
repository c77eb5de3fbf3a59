import Foundation
import Testing
@testable import CLTrain

/// A dataset's bytes mapped from a file (`MappedFile`, `DataBytes`) read as the same bytes in memory do, and every
/// file the mapping refuses is refused as reading refuses it.
@Suite struct DataBytesTests {
    @Test func aMappedFileReadsAsItsBytes() throws {
        let folder = try TemporaryFolder()
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let mapped = try mappedBytes(try folder.write("raw", bytes))
        #expect(mapped.isMapped && mapped == DataBytes(bytes) && Array(mapped) == bytes)
        // A range shares the mapping, and reads the same after the pages are let go.
        let range = mapped.bytes(4096..<5000)
        mapped.evictPages()
        #expect(range.isMapped && Array(range) == Array(bytes[4096..<5000]))
        #expect(range.withUnsafeBufferPointer { Array($0) } == Array(bytes[4096..<5000]))
        // Gzip is inflated into memory.
        let inflated = try mappedBytes(try folder.write("raw.gz", try gzipped(bytes)))
        #expect(!inflated.isMapped && Array(inflated) == bytes)
    }

    /// Streaming copies images by reading the file, so a file cut short while it is mapped is an error naming it,
    /// not a fault on the lost pages.
    @Test func aFileCutShortWhileMappedIsAnErrorWhenCopied() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("raw", [UInt8](repeating: 9, count: 3 * 4096))
        let mapped = try mappedBytes(path)
        var copy = [UInt8](repeating: 0, count: 100)
        try copy.withUnsafeMutableBufferPointer { try mapped.copy(8000..<8100, to: $0.baseAddress!) }
        #expect(copy == [UInt8](repeating: 9, count: 100))
        #expect(truncate(path, 4096) == 0)
        #expect(throws: DataError.unreadable(path, reason: "it is shorter than when it was opened")) {
            try copy.withUnsafeMutableBufferPointer { try mapped.copy(8000..<8100, to: $0.baseAddress!) }
        }
    }

    @Test func filesThatCannotBeMappedAreRefusedByName() throws {
        let folder = try TemporaryFolder()
        let empty = try folder.write("empty", [UInt8]())
        #expect(throws: DataError.emptyFile(empty)) { try mappedBytes(empty) }
        #expect(throws: DataError.missingFile(folder.file("none"), hint: "check the path")) { try mappedBytes(folder.file("none")) }
        let fifo = folder.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect { try mappedBytes(fifo) } throws: { "\($0)".contains("a FIFO (named pipe), not a regular file") }
        #expect { try mappedBytes(folder.path) } throws: { "\($0)".contains("it is a folder") }
    }
}
