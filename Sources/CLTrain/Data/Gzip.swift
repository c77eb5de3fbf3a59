import CZlib

/// gzip files are recognised by content, not by name: both `.gz` and raw files are found in the wild
/// under either spelling.
enum Gzip {
    static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates a whole gzip (or zlib) stream. `path` only names the file in errors.
    static func decompress(_ bytes: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: the largest window, and let zlib detect the gzip or zlib header itself.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.corruptGzip(path, reason: "zlib failed to start")
        }
        defer { inflateEnd(&stream) }

        // The gzip trailer stores the size mod 2^32, a good first guess; capped by deflate's best ratio (about
        // 1032:1) so a damaged trailer cannot ask for gigabytes.
        let guess = min(Int(gzipSizeHint(bytes)), bytes.count * 1032)
        var output = [UInt8](repeating: 0, count: max(1 << 16, guess))
        var produced = 0
        var status = Z_OK
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while status != Z_STREAM_END {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                status = output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = UInt32(min(out.count - produced, Int(UInt32.max)))
                    let before = stream.avail_out
                    let result = inflate(&stream, Z_NO_FLUSH)
                    produced += Int(before - stream.avail_out)
                    return result
                }
                switch status {
                case Z_OK, Z_STREAM_END:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError.corruptGzip(path, reason: "the stream ends early; the file is truncated")
                case Z_BUF_ERROR:
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError.corruptGzip(path, reason: message)
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    private static func gzipSizeHint(_ bytes: [UInt8]) -> UInt32 {
        guard bytes.count >= 18 else { return 0 }
        let n = bytes.count
        return UInt32(bytes[n - 4]) | UInt32(bytes[n - 3]) << 8 | UInt32(bytes[n - 2]) << 16 | UInt32(bytes[n - 1]) << 24
    }
}
