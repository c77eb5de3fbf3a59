/// Why data could not be read or fetched. Every message is one line that names the file first,
/// so a user sees which file to replace and, where it helps, the command that fixes it.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `hint` says how to get the file, e.g. "run `cltrain fetch`".
    case missingFile(String, hint: String)
    case unreadable(String, reason: String)
    case emptyFile(String)
    case badMagic(String, found: UInt32, expected: UInt32)
    case truncated(String, expectedBytes: Int, actualBytes: Int)
    case trailingBytes(String, expectedBytes: Int, actualBytes: Int)
    /// A compressed file whose contents run past the size their IDX header announces; inflating stopped there.
    case inflatesBeyondHeader(String, expectedBytes: Int)
    /// Neither CSV text nor an IDX file; `start` is its first four bytes.
    case unknownFormat(String, start: UInt32)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    case noSamples(String)
    case imageSize(String, rows: Int, columns: Int)
    /// The training and test sets' images differ in shape.
    case shapeMismatch(train: String, trainShape: String, test: String, testShape: String)
    case malformedCSV(String, line: Int, reason: String)
    case corruptGzip(String, reason: String)
    case checksumMismatch(String, expected: String, actual: String)
    /// The request names its sources inconsistently, e.g. `--train` without `--test`.
    case invalidRequest(String)
    case fetchFailed(String)
    /// An image in an image folder that does not decode; `description` is the decoder's line, naming the file.
    case badImage(String)
    /// A CIFAR batch whose size is not a whole number of records.
    case badRecords(String, bytes: Int, recordBytes: Int, dataset: String)
    case labelOutOfRange(String, record: Int, label: Int, classes: Int)
    /// An image of another size than the folder's first (`first`), without `--resize`.
    case imageSizeMismatch(String, size: String, expected: String, first: String)

    public var description: String {
        switch self {
        case .missingFile(let path, let hint):
            return "\(path): no such file; \(hint)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read it: \(reason)"
        case .emptyFile(let path):
            return "\(path): the file is empty; delete it and fetch it again (`cltrain fetch`)"
        case .badMagic(let path, let found, let expected):
            return "\(path): not an IDX \(expected == IDX.imagesMagic ? "images" : "labels") file: magic number "
                + "\(hex(found)), expected \(hex(expected))"
        case .truncated(let path, let expected, let actual):
            return "\(path): truncated: its header promises \(expected) bytes, the file has \(actual)"
        case .trailingBytes(let path, let expected, let actual):
            return "\(path): \(actual - expected) bytes more than its header promises (\(expected)); the file is damaged"
        case .inflatesBeyondHeader(let path, let expected):
            return "\(path): decompresses to more than the \(expected) bytes its header promises; the file is damaged"
        case .unknownFormat(let path, let start):
            return "\(path): neither CSV text nor an IDX file: it starts with \(hex(start)) (IDX images start "
                + "\(hex(IDX.imagesMagic)), labels \(hex(IDX.labelsMagic)))"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            return "\(images): holds \(imageCount) images but \(labels) holds \(labelCount) labels; use files of the same split"
        case .noSamples(let path):
            return "\(path): holds no images; a split needs at least one"
        case .imageSize(let path, let rows, let columns):
            return "\(path): images are \(rows)×\(columns) pixels; cltrain reads sides from 1 to \(IDX.maximumSide)"
        case .shapeMismatch(let train, let trainShape, let test, let testShape):
            return "\(test): images are \(testShape) but the training set's (\(train)) are \(trainShape); use splits of one dataset"
        case .malformedCSV(let path, let line, let reason):
            return "\(path): line \(line): \(reason); expected `label,p0,…,p783` with values 0–255"
        case .corruptGzip(let path, let reason):
            return "\(path): corrupted gzip stream (\(reason)); delete it and fetch it again (`cltrain fetch`)"
        case .checksumMismatch(let path, let expected, let actual):
            return "\(path): MD5 \(actual) differs from the published \(expected); the download is damaged or not the canonical set"
        case .invalidRequest(let reason), .fetchFailed(let reason):
            return reason
        case .badRecords(let path, let bytes, let record, let dataset):
            return "\(path): \(bytes) bytes is not a whole number of \(dataset) records of \(record) bytes (label, then 3×32×32 "
                + "pixels); the file is damaged"
        case .labelOutOfRange(let path, let record, let label, let classes):
            return "\(path): record \(record) has label \(label), but the dataset has \(classes) classes (0–\(classes - 1)); the file is damaged"
        case .badImage(let description):
            return "\(description); remove it, or pass --skip-bad to leave such files out"
        case .imageSizeMismatch(let path, let size, let expected, let first):
            return "\(path): the image is \(size) but \(first) is \(expected); pass --resize H,W to resample every image to one size"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
