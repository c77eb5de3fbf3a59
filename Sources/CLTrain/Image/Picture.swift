/// A greyscale image of any size, row by row, 0 black to 255 white: what `predict --image` reads before
/// fitting it to the model's input.
public struct Picture: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    /// Larger images are refused before any pixel memory is allocated.
    public static let maxSide = 8192

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "a \(width)×\(height) picture needs \(width * height) pixels")
        (self.width, self.height, self.pixels) = (width, height, pixels)
    }

    /// Reads a PNG, JPEG or PGM file, told apart by their first bytes, not by the file's name; a colour JPEG becomes
    /// the mean of its planes.
    public static func read(path: String) throws -> Picture {
        let bytes: [UInt8]
        do { bytes = try FileBytes.contents(of: path) } catch { throw PictureError.unreadable(path: path, reason: error.reason) }
        if bytes.starts(with: PNG.signature) { return try PNG.decode(bytes, path: path) }
        if bytes.starts(with: Array("P5".utf8)) || bytes.starts(with: Array("P2".utf8)) { return try PGM.decode(bytes, path: path) }
        if bytes.starts(with: PlanarImage.jpegSignature) {
            let image = try JPEG.decode(bytes, path: path)
            return Picture(width: image.width, height: image.height, pixels: DigitView.grey(image.pixels, channels: image.channels))
        }
        throw PictureError.unknownFormat(path: path, start: Array(bytes.prefix(4)), formats: "PNG, JPEG or PGM")
    }

    /// Whether the background is lighter than mid-grey, judged by the border, where a centred digit leaves only
    /// background: MNIST's digits are light on dark, so such an image must be inverted first.
    public var isDarkOnLight: Bool {
        var sum = 0, count = 0
        for y in 0..<height {
            for x in 0..<width where y == 0 || y == height - 1 || x == 0 || x == width - 1 {
                sum += Int(pixels[y * width + x])
                count += 1
            }
        }
        return sum > 127 * count
    }

    public func inverted() -> Picture { Picture(width: width, height: height, pixels: pixels.map { 255 - $0 }) }

    /// Resampled to `width`×`height` by area: each new pixel is the mean of the old ones it covers, weighted by how
    /// much of each it covers. Shrinking keeps thin strokes as grey instead of dropping them.
    public func resized(width newWidth: Int, height newHeight: Int) -> Picture {
        if (newWidth, newHeight) == (width, height) { return self }
        let xs = Self.coverage(from: width, to: newWidth), ys = Self.coverage(from: height, to: newHeight)
        var result = [UInt8](repeating: 0, count: newWidth * newHeight)
        for (row, ySpans) in ys.enumerated() {
            for (column, xSpans) in xs.enumerated() {
                var total = 0.0, weight = 0.0
                for (y, wy) in ySpans {
                    for (x, wx) in xSpans {
                        total += Double(pixels[y * width + x]) * wy * wx
                        weight += wy * wx
                    }
                }
                result[row * newWidth + column] = UInt8((total / weight).rounded())
            }
        }
        return Picture(width: newWidth, height: newHeight, pixels: result)
    }

    /// For each of `new` cells along one axis, the old cells it overlaps and by how much.
    private static func coverage(from old: Int, to new: Int) -> [[(Int, Double)]] {
        let scale = Double(old) / Double(new)
        return (0..<new).map { cell in
            let start = Double(cell) * scale, end = Double(cell + 1) * scale
            return (Int(start)..<min(Int(end.rounded(.up)), old)).map { index in
                (index, min(end, Double(index + 1)) - max(start, Double(index)))
            }.filter { $0.1 > 0 }
        }
    }
}

/// Why an image could not be read; one line naming the file.
public enum PictureError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// `formats`: what the reader takes, e.g. "PNG, JPEG or PGM".
    case unknownFormat(path: String, start: [UInt8], formats: String)
    case tooLarge(path: String, width: Int, height: Int)
    case png(path: String, message: String)
    case jpeg(path: String, message: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the image: \(reason)"
        case let .unknownFormat(path, start, formats):
            return "\(path): not a \(formats) image (it starts with bytes \(start.map { String($0, radix: 16) }.joined(separator: " ")))"
        case let .tooLarge(path, width, height):
            return "\(path): the image is \(width)×\(height); images up to \(Picture.maxSide)×\(Picture.maxSide) are read"
        case let .png(path, message):
            return "\(path): not a readable PNG: \(message)"
        case let .jpeg(path, message):
            return "\(path): not a readable JPEG: \(message)"
        }
    }
}
