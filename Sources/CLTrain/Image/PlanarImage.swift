import Foundation

/// A training image as a dataset stores it: `channels` planes (1 grey, 3 RGB) of height × width pixels, 0–255,
/// plane after plane (PyTorch's C×H×W), read from PNG or JPEG, told apart by their first bytes.
public struct PlanarImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == channels * width * height, "a \(channels)×\(height)×\(width) image needs \(channels * width * height) pixels")
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }

    /// From a decoder's pixel-by-pixel layout (RGBRGB…).
    init(interleaved: [UInt8], width: Int, height: Int, channels: Int) {
        let plane = width * height
        var pixels = [UInt8](repeating: 0, count: interleaved.count)
        for c in 0..<channels {
            for i in 0..<plane { pixels[c * plane + i] = interleaved[i * channels + c] }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// Whether `bytes` start as a PNG or JPEG file does.
    static func isImage(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: PNG.signature) || bytes.starts(with: jpegSignature)
    }

    /// Reads a PNG or JPEG file: `predict --image` for a colour model.
    public static func read(path: String) throws -> PlanarImage {
        let bytes: [UInt8]
        do { bytes = try FileBytes.contents(of: path) } catch { throw PictureError.unreadable(path: path, reason: error.reason) }
        return try decode(bytes, path: path)
    }

    /// Decodes a PNG or JPEG file's bytes; `path` names the file in errors.
    static func decode(_ bytes: [UInt8], path: String) throws -> PlanarImage {
        if bytes.starts(with: PNG.signature) { return try PNG.decodePlanar(bytes, path: path) }
        if bytes.starts(with: jpegSignature) { return try JPEG.decode(bytes, path: path) }
        throw PictureError.unknownFormat(path: path, start: Array(bytes.prefix(4)), formats: "PNG or JPEG")
    }

    /// The same image in three planes: a grey one repeated, as PIL's `convert("RGB")` does.
    public func rgb() -> PlanarImage {
        channels == 3 ? self : PlanarImage(width: width, height: height, channels: 3, pixels: pixels + pixels + pixels)
    }

    /// Each plane resampled by area to `width`×`height` (see `Picture.resized`).
    public func resized(width newWidth: Int, height newHeight: Int) -> PlanarImage {
        if (newWidth, newHeight) == (width, height) { return self }
        let plane = width * height
        let planes = (0..<channels).flatMap { c in
            Picture(width: width, height: height, pixels: Array(pixels[(c * plane)..<((c + 1) * plane)]))
                .resized(width: newWidth, height: newHeight).pixels
        }
        return PlanarImage(width: newWidth, height: newHeight, channels: channels, pixels: planes)
    }
}
