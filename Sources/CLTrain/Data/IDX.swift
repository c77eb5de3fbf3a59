/// The IDX format of LeCun's MNIST files: a big-endian header (magic, then one 32-bit size per dimension)
/// followed by the uint8 payload. Images are `idx3` (count, rows, columns), labels `idx1` (count).
public enum IDX {
    /// 0x00 0x00, type 0x08 (unsigned byte), 3 dimensions.
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// 0x00 0x00, type 0x08 (unsigned byte), 1 dimension.
    public static let labelsMagic: UInt32 = 0x0000_0801

    static func magic<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> UInt32? where Bytes.Index == Int {
        bytes.count >= 4 ? bigEndian(bytes, at: 0) : nil
    }

    /// The whole file's size as its header announces it (header and payload), once `prefix` holds the header;
    /// nil for anything that is not an IDX images or labels header.
    static func promisedBytes(_ prefix: [UInt8]) -> Int? {
        switch magic(prefix) {
        case imagesMagic? where prefix.count >= 16:
            // Saturates: three 32-bit sizes can overflow 64 bits, and such a header is refused later anyway.
            return 16 + (1...3).reduce(1) { total, index in
                let (product, overflow) = total.multipliedReportingOverflow(by: Int(bigEndian(prefix, at: 4 * index)))
                return overflow ? Int.max - 16 : min(product, Int.max - 16)
            }
        case labelsMagic? where prefix.count >= 8:
            return 8 + Int(bigEndian(prefix, at: 4))
        default:
            return nil
        }
    }

    /// The largest image side read: large enough for any image dataset people train such models on, small
    /// enough that the header's sizes cannot overflow what they multiply into.
    public static let maximumSide = 4096

    /// Pixels of `count` images of `rows × columns`, as the header declares: a range of `bytes`, not a copy (a
    /// mapped file stays mapped). `path` only names the file in errors.
    static func images(_ bytes: DataBytes, path: String) throws -> (pixels: DataBytes, count: Int, rows: Int, columns: Int) {
        let dimensions = try header(bytes, magic: imagesMagic, dimensions: 3, path: path)
        let (count, rows, columns) = (dimensions[0], dimensions[1], dimensions[2])
        guard (1...maximumSide).contains(rows), (1...maximumSide).contains(columns) else {
            throw DataError.imageSize(path, rows: rows, columns: columns)
        }
        let payload = try checkedPayload(bytes, headerBytes: 16, payloadBytes: count * rows * columns, path: path)
        return (bytes.bytes(payload), count, rows, columns)
    }

    /// Class indices; the number of classes is the largest one plus one.
    static func labels(_ bytes: DataBytes, path: String) throws -> [UInt8] {
        let count = try header(bytes, magic: labelsMagic, dimensions: 1, path: path)[0]
        return Array(bytes[try checkedPayload(bytes, headerBytes: 8, payloadBytes: count, path: path)])
    }

    /// The canonical file bytes for `dataset`'s images, so converted data can be checked against published MD5s.
    public static func encodeImages(_ dataset: Dataset) -> [UInt8] {
        encode(magic: imagesMagic, dimensions: [dataset.count, dataset.rows, dataset.columns]) + Array(dataset.images)
    }

    public static func encodeLabels(_ dataset: Dataset) -> [UInt8] {
        encode(magic: labelsMagic, dimensions: [dataset.count]) + dataset.labels
    }

    private static func encode(magic: UInt32, dimensions: [Int]) -> [UInt8] {
        ([magic] + dimensions.map { UInt32($0) }).flatMap { word in
            (0..<4).reversed().map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) }
        }
    }

    private static func header(_ bytes: DataBytes, magic expected: UInt32, dimensions: Int, path: String) throws -> [Int] {
        if bytes.isEmpty { throw DataError.emptyFile(path) }
        let headerBytes = 4 + 4 * dimensions
        guard let found = magic(bytes) else {
            throw DataError.truncated(path, expectedBytes: headerBytes, actualBytes: bytes.count)
        }
        guard found == expected else { throw DataError.badMagic(path, found: found, expected: expected) }
        guard bytes.count >= headerBytes else {
            throw DataError.truncated(path, expectedBytes: headerBytes, actualBytes: bytes.count)
        }
        return (0..<dimensions).map { Int(bigEndian(bytes, at: 4 + 4 * $0)) }
    }

    private static func checkedPayload(_ bytes: DataBytes, headerBytes: Int, payloadBytes: Int, path: String) throws -> Range<Int> {
        let expected = headerBytes + payloadBytes
        if bytes.count < expected { throw DataError.truncated(path, expectedBytes: expected, actualBytes: bytes.count) }
        if bytes.count > expected { throw DataError.trailingBytes(path, expectedBytes: expected, actualBytes: bytes.count) }
        return headerBytes..<expected
    }

    private static func bigEndian<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at offset: Int) -> UInt32 where Bytes.Index == Int {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
