import CJPEG
import CZlib
import Foundation

/// Writers of small PNG and JPEG files for the image tests of both test targets, independent of the decoders they
/// test: PNG chunk by chunk by hand (zlib for the data, CRC-32 per chunk), JPEG through libturbojpeg's compressor.
public enum ImageFileWriter {
    /// PNG colour types as the specification numbers them.
    public enum PNGKind: UInt8 { case grey = 0, rgb = 2, palette = 3, greyAlpha = 4, rgba = 6 }

    /// A PNG of `samples` (one byte per sample, interleaved, `kind`'s channels; palette: indices into `palette`);
    /// with `sixteenBit` each sample is written as two equal bytes, so it decodes to the same 8-bit value.
    public static func png(width: Int, height: Int, kind: PNGKind, samples: [UInt8], palette: [UInt8] = [], sixteenBit: Bool = false) -> [UInt8] {
        let channels = [PNGKind.grey: 1, .rgb: 3, .palette: 1, .greyAlpha: 2, .rgba: 4][kind]!
        precondition(samples.count == width * height * channels)
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)  // filter type None
            for sample in samples[(y * width * channels)..<((y + 1) * width * channels)] {
                raw += sixteenBit ? [sample, sample] : [sample]
            }
        }
        var compressed = [UInt8](repeating: 0, count: Int(compressBound(UInt(raw.count))))
        var length = UInt(compressed.count)
        precondition(compress2(&compressed, &length, raw, UInt(raw.count), 9) == Z_OK)
        let header = bigEndian(width) + bigEndian(height) + [sixteenBit ? 16 : 8, kind.rawValue, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + (kind == .palette ? chunk("PLTE", palette) : [])
            + chunk("IDAT", Array(compressed[..<Int(length)])) + chunk("IEND", [])
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(data.count) + body + bigEndian(Int(crc32(0, body, UInt32(body.count))))
    }

    private static func bigEndian(_ value: Int) -> [UInt8] { (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// A JPEG of interleaved grey (1) or RGB (3) samples at the highest quality, 4:4:4, baseline or progressive.
    public static func jpeg(width: Int, height: Int, channels: Int, samples: [UInt8], progressive: Bool = false) -> [UInt8] {
        let library = dlopen("libturbojpeg.so.0", RTLD_NOW)!
        defer { dlclose(library) }
        typealias Initialize = @convention(c) () -> tjhandle?
        typealias Compress = @convention(c) (tjhandle?, UnsafePointer<UInt8>?, Int32, Int32, Int32, Int32,
                                             UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, UnsafeMutablePointer<UInt>?,
                                             Int32, Int32, Int32) -> Int32
        typealias Release = @convention(c) (UnsafeMutableRawPointer?) -> Void
        let initialize = unsafeBitCast(dlsym(library, "tjInitCompress")!, to: Initialize.self)
        let compress = unsafeBitCast(dlsym(library, "tjCompress2")!, to: Compress.self)
        let release = unsafeBitCast(dlsym(library, "tjFree")!, to: Release.self)
        let destroy = unsafeBitCast(dlsym(library, "tjDestroy")!, to: Release.self)
        let handle = initialize()
        defer { destroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?, size: UInt = 0
        let format = channels == 1 ? TJPF_GRAY : TJPF_RGB, subsampling = channels == 1 ? TJSAMP_GRAY : TJSAMP_444
        let status = compress(handle, samples, Int32(width), 0, Int32(height), Int32(format.rawValue), &output, &size,
                              Int32(subsampling.rawValue), 100, progressive ? TJFLAG_PROGRESSIVE : 0)
        precondition(status == 0, "tjCompress2 failed")
        defer { release(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}
