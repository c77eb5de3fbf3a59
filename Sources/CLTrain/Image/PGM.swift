/// Reads a greyscale image in PGM (netpbm) format, binary `P5` or text `P2`, any size up to `Picture.maxSide`,
/// pixels scaled to 0–255.
public enum PGM {
    public static func read(path: String) throws -> Picture {
        let bytes: [UInt8]
        do { bytes = try FileBytes.contents(of: path) } catch { throw PGMError.unreadable(path: path, reason: error.reason) }
        return try decode(bytes, path: path)
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> Picture {
        var reader = Reader(bytes: bytes)
        let magic = String(decoding: bytes.prefix(2), as: UTF8.self)
        guard magic == "P5" || magic == "P2" else { throw PGMError.notPGM(path: path, magic: magic) }
        reader.position = 2
        func field(_ name: String) throws -> Int {
            guard let value = reader.integer() else { throw PGMError.malformedHeader(path: path, field: name) }
            return value
        }
        let (width, height, maxval) = (try field("width"), try field("height"), try field("maxval"))
        guard (1...Picture.maxSide).contains(width) && (1...Picture.maxSide).contains(height) else {
            throw PGMError.wrongSize(path: path, width: width, height: height)
        }
        let count = width * height
        guard (1...255).contains(maxval) else { throw PGMError.unsupportedMaxval(path: path, maxval: maxval) }

        var samples: [Int] = []
        if magic == "P5" {
            // Exactly one whitespace byte ends the header; the next byte is a pixel even if it looks like a space.
            let start = reader.position + 1
            samples = bytes[min(start, bytes.count)...].prefix(count).map(Int.init)
        } else {
            while samples.count < count, let value = reader.integer() { samples.append(value) }
            if samples.count < count && !reader.atEnd { throw PGMError.badSample(path: path, index: samples.count) }
        }
        guard samples.count == count else { throw PGMError.truncated(path: path, pixels: samples.count, of: count) }
        if let index = samples.firstIndex(where: { $0 > maxval }) {
            throw PGMError.sampleAboveMaxval(path: path, index: index, value: samples[index], maxval: maxval)
        }
        return Picture(width: width, height: height, pixels: samples.map { UInt8(($0 * 255 + maxval / 2) / maxval) })
    }

    /// Netpbm tokens: decimal integers between whitespace, with `#` comments running to the end of a line.
    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        var atEnd: Bool {
            mutating get { skipSpace(); return position >= bytes.count }
        }

        /// The next unsigned integer, or nil (without consuming it) where the next token is not one.
        mutating func integer() -> Int? {
            skipSpace()
            var value = 0, digits = 0
            while position < bytes.count, let digit = Self.digit(bytes[position]) {
                // Saturates: an absurd width must still be reported, not overflow.
                value = min(value * 10 + digit, Int(Int32.max))
                digits += 1
                position += 1
            }
            return digits > 0 ? value : nil
        }

        private mutating func skipSpace() {
            while position < bytes.count {
                if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != UInt8(ascii: "\n") { position += 1 }
                } else if [9, 10, 11, 12, 13, 32].contains(bytes[position]) {
                    position += 1
                } else {
                    return
                }
            }
        }

        private static func digit(_ byte: UInt8) -> Int? {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
        }
    }
}

/// Why an image could not be read; one line naming the file.
public enum PGMError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notPGM(path: String, magic: String)
    case malformedHeader(path: String, field: String)
    case wrongSize(path: String, width: Int, height: Int)
    case unsupportedMaxval(path: String, maxval: Int)
    case truncated(path: String, pixels: Int, of: Int)
    case badSample(path: String, index: Int)
    case sampleAboveMaxval(path: String, index: Int, value: Int, maxval: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the image: \(reason)"
        case let .notPGM(path, magic):
            return "\(path): starts with \"\(magic.filter { $0.isASCII && !$0.isWhitespace })\", not P5 or P2; expected a greyscale PGM image"
        case let .malformedHeader(path, field):
            return "\(path): the PGM header's \(field) is missing or not a number"
        case let .wrongSize(path, width, height):
            return "\(path): the image is \(width)×\(height); images from 1×1 to \(Picture.maxSide)×\(Picture.maxSide) are read"
        case let .unsupportedMaxval(path, maxval):
            return "\(path): maxval \(maxval) is not supported; expected 1 to 255 (8-bit greyscale)"
        case let .truncated(path, pixels, count):
            return "\(path): truncated: \(pixels) of \(count) pixels"
        case let .badSample(path, index):
            return "\(path): pixel \(index) is not a number"
        case let .sampleAboveMaxval(path, index, value, maxval):
            return "\(path): pixel \(index) is \(value), above the header's maxval \(maxval)"
        }
    }
}
