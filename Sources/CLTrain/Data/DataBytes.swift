import Foundation

/// A dataset's bytes (its images' pixels, back to back) as read: in memory, or a range of a mapped file
/// (`MappedFile`), so that a dataset larger than the host's memory is read only where it is used. Indices start
/// at 0 either way; a range of it (`bytes(_:)`) shares the storage instead of copying it.
public struct DataBytes: RandomAccessCollection, Equatable, Sendable {
    private enum Storage: Sendable {
        case memory([UInt8])
        case mapped(MappedFile)
    }

    private let storage: Storage
    /// Where these bytes start in the storage.
    private let start: Int
    public let count: Int

    public init(_ bytes: [UInt8]) {
        (storage, start, count) = (.memory(bytes), 0, bytes.count)
    }

    /// The whole of a mapped file.
    init(_ file: MappedFile) {
        (storage, start, count) = (.mapped(file), 0, file.bytes.count)
    }

    private init(storage: Storage, start: Int, count: Int) {
        (self.storage, self.start, self.count) = (storage, start, count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < count, "index \(position) out of range for \(count) bytes")
        switch storage {
        case .memory(let bytes): return bytes[start + position]
        case .mapped(let file): return file.bytes[start + position]
        }
    }

    /// Bytes `range` of these, sharing their storage.
    public func bytes(_ range: Range<Int>) -> DataBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) out of \(count) bytes")
        return DataBytes(storage: storage, start: start + range.lowerBound, count: range.count)
    }

    /// Whether the bytes are read from a mapped file as they are used, rather than held in memory.
    public var isMapped: Bool {
        if case .mapped = storage { return true }
        return false
    }

    /// Lets the kernel take back the pages of a mapped file touched so far (see `MappedFile.evictPages`), so that
    /// reading all of a large dataset does not keep all of it resident; nothing for bytes in memory.
    public func evictPages() {
        if case .mapped(let file) = storage { file.evictPages() }
    }

    /// Copies bytes `range` to `destination`: from memory, or by reading a mapped file (`MappedFile.read`), so that
    /// gathering scattered images does not map the file's pages around each one into this process.
    public func copy(_ range: Range<Int>, to destination: UnsafeMutablePointer<UInt8>) throws(DataError) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) out of \(count) bytes")
        switch storage {
        case .memory(let bytes):
            bytes.withUnsafeBufferPointer { source in
                destination.update(from: source.baseAddress! + start + range.lowerBound, count: range.count)
            }
        case .mapped(let file):
            do { try file.read((start + range.lowerBound)..<(start + range.upperBound), into: destination) } catch {
                throw .unreadable(file.path, reason: error.reason)
            }
        }
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch storage {
        case .memory(let bytes):
            return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<(start + count)])) }
        case .mapped(let file):
            return try body(UnsafeBufferPointer(rebasing: file.bytes[start..<(start + count)]))
        }
    }

    public static func == (a: DataBytes, b: DataBytes) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }
}
