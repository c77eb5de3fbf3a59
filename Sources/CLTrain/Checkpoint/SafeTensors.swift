import Foundation

/// The element types cltrain reads: F32 for parameters, I64 for the counters PyTorch keeps beside them (a batch
/// norm's `num_batches_tracked`), read into Float values as the flat vectors hold them.
public enum ElementType: String, Sendable {
    case f32 = "F32", i64 = "I64"

    var bytes: Int { self == .f32 ? 4 : 8 }
}

/// The safetensors container, F32 and I64: an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}`,
/// then the tensors' little-endian bytes back to back (offsets count from the end of the header).
/// Decoding checks what the reference implementation checks, so a file accepted here loads in PyTorch.
enum SafeTensors {
    struct Tensor: Equatable {
        var shape: [Int]
        var values: [Float]
        var type: ElementType = .f32
    }

    static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) -> [UInt8] {
        var header: [String: Any] = ["__metadata__": metadata]
        var data: [UInt8] = []
        for (name, tensor) in tensors {
            let begin = data.count
            switch tensor.type {
            case .f32: tensor.values.map(\.bitPattern.littleEndian).withUnsafeBytes { data.append(contentsOf: $0) }
            case .i64: tensor.values.map { Int64($0).littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
            }
            header[name] = ["dtype": tensor.type.rawValue, "shape": tensor.shape, "data_offsets": [begin, data.count]] as [String: Any]
        }
        // Only strings, integers, arrays and dictionaries go in, which JSONSerialization always accepts.
        var json = [UInt8](try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
        // Padding keeps the data 8-byte aligned, so readers can map the file and view it as floats in place.
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count + data.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + json + data
    }

    /// Returns the tensors by name and the metadata, or nil where the header has no `__metadata__`.
    static func decode(_ bytes: [UInt8], path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]?) {
        guard bytes.count >= 8 else { throw CheckpointError.tooShort(path: path, bytes: bytes.count) }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // `torch.save` writes a zip archive (a pickle inside) or, before PyTorch 1.6, a bare pickle (protocol 2 to 5).
        // Their first bytes are also a header length (0x80 0x02 is 640), so they count only where no JSON header follows.
        let torchSave = bytes.starts(with: Array("PK\u{3}\u{4}".utf8)) || (bytes[0] == 0x80 && (2...5).contains(bytes[1]))
        if torchSave && (headerLength > UInt64(bytes.count - 8) || bytes.count == 8 || bytes[8] != UInt8(ascii: "{")) {
            throw CheckpointError.pytorchPickle(path: path)
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw CheckpointError.headerBeyondFile(path: path, headerBytes: headerLength, fileBytes: bytes.count)
        }
        let dataStart = 8 + Int(headerLength)
        let dataCount = bytes.count - dataStart
        func malformed(_ problem: String) -> CheckpointError { .malformedHeader(path: path, problem: problem) }

        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) else { throw malformed("is not JSON") }
        guard let header = json as? [String: Any] else { throw malformed("is not a JSON object") }
        // The format's header starts with its '{'; JSONSerialization also skips a byte-order mark or whitespace.
        guard bytes[8] == UInt8(ascii: "{") else {
            throw malformed(bytes[8..<dataStart].starts(with: [0xef, 0xbb, 0xbf])
                ? "starts with a UTF-8 byte-order mark; the format allows only '{' there" : "does not start with '{'")
        }

        var metadata: [String: String]?
        var slots: [(name: String, shape: [Int], type: ElementType, begin: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else { throw malformed("has __metadata__ that is not an object of strings") }
                metadata = strings
                continue
            }
            guard let entry = value as? [String: Any] else { throw malformed("has tensor \(name) that is not an object") }
            guard let dtype = entry["dtype"] as? String else { throw malformed("has tensor \(name) without a dtype") }
            guard let type = ElementType(rawValue: dtype) else { throw CheckpointError.unsupportedDtype(path: path, tensor: name, dtype: dtype) }
            guard let shape = integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw malformed("has tensor \(name) whose shape is not a list of non-negative integers")
            }
            guard let offsets = integers(entry["data_offsets"]), offsets.count == 2 else {
                throw malformed("has tensor \(name) whose data_offsets are not two integers")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard 0 <= begin, begin <= end, end <= dataCount else {
                throw CheckpointError.badOffsets(path: path, tensor: name,
                                                 problem: "data_offsets \(offsets) lie outside the \(dataCount) bytes of data")
            }
            let needed = byteCount(shape, type)
            guard needed == end - begin else {
                throw CheckpointError.badOffsets(path: path, tensor: name, problem: "data_offsets \(offsets) span \(end - begin) bytes "
                                                 + "but shape \(shape) of \(dtype) needs \(needed.map(String.init) ?? "more than fit in memory")")
            }
            slots.append((name, shape, type, begin, end))
        }

        var position = 0
        for slot in slots.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard slot.begin <= position else {
                throw CheckpointError.badOffsets(path: path, tensor: slot.name,
                                                 problem: "\(slot.begin - position) bytes before it belong to no tensor")
            }
            guard slot.begin == position || slot.begin == slot.end else {
                throw CheckpointError.badOffsets(path: path, tensor: slot.name, problem: "its data overlaps another tensor's")
            }
            position = max(position, slot.end)
        }
        guard position == dataCount else { throw CheckpointError.unclaimedData(path: path, bytes: dataCount - position) }

        var tensors: [String: Tensor] = [:]
        for slot in slots {
            let data = bytes[(dataStart + slot.begin)..<(dataStart + slot.end)]
            let values: [Float]
            switch slot.type {
            case .f32: values = words(data, UInt32.self).map { Float(bitPattern: UInt32(littleEndian: $0)) }
            case .i64: values = words(data, UInt64.self).map { Float(Int64(bitPattern: UInt64(littleEndian: $0))) }
            }
            tensors[slot.name] = Tensor(shape: slot.shape, values: values, type: slot.type)
        }
        return (tensors, metadata)
    }

    /// `value` as a list of JSON integers, or nil: `0.0`, `1e2` and `true` bridge to Int as well, but the format's
    /// shapes and offsets are integers only.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let numbers = value as? [NSNumber] else { return nil }
        let integerTypes: Set<String> = ["q", "l", "i", "s", "Q", "L", "I", "S"]
        guard numbers.allSatisfy({ integerTypes.contains(String(cString: $0.objCType)) }) else { return nil }
        return value as? [Int]
    }

    /// `data` as little-endian words of `type`, copied out (the data need not be aligned).
    private static func words<Word: FixedWidthInteger>(_ data: ArraySlice<UInt8>, _ type: Word.Type) -> [Word] {
        [Word](unsafeUninitializedCapacity: data.count / MemoryLayout<Word>.size) { words, count in
            data.withUnsafeBytes { UnsafeMutableRawBufferPointer(words).copyMemory(from: $0) }
            count = words.count
        }
    }

    /// Bytes of a tensor of `shape` and `type`, or nil where a hostile header's shape would overflow.
    private static func byteCount(_ shape: [Int], _ type: ElementType) -> Int? {
        shape.reduce(Optional(type.bytes)) { total, dimension in
            guard let total else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            return overflow ? nil : product
        }
    }
}
