import CZlib

/// gzip files are recognised by content, not by name: both `.gz` and raw files are found in the wild
/// under either spelling.
enum Gzip {
    static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates a whole gzip stream; members one after another (`cat a.gz b.gz`, RFC 1952) make one stream.
    /// - Parameters:
    ///   - path: Names the file in errors.
    ///   - limit: The most bytes the output may have.
    ///   - promised: Given the output so far, the size its own header announces (an IDX header), or nil while
    ///     it cannot tell. Inflating stops as soon as the output passes it, so a small file cannot claim memory
    ///     or time in proportion to what it decompresses to.
    static func decompress(_ bytes: [UInt8], path: String, limit: Int = FileBytes.readLimit,
                           promised: ([UInt8]) -> Int? = { _ in nil }) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: the largest window, gzip framing only.
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.corruptGzip(path, reason: "zlib failed to start")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        // The trailer's size (mod 2^32) is only a hint for the first allocation, capped like everything else.
        output.reserveCapacity(min(Int(sizeHint(bytes)), limit, 1 << 28))
        var bound = limit, boundIsPromise = false
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                // One chunk past the bound at most is held before the check: memory stays within bound + 1 MiB.
                output += chunk[0..<(chunk.count - Int(stream.avail_out))]
                if !boundIsPromise, let size = promised(output), size < bound { (bound, boundIsPromise) = (size, true) }
                if output.count > bound {
                    if boundIsPromise { throw DataError.inflatesBeyondHeader(path, expectedBytes: bound) }
                    throw DataError.unreadable(path, reason: "it inflates to more than \(bound) bytes, the most cltrain reads")
                }
                switch status {
                case Z_STREAM_END where stream.avail_in == 0:
                    return
                case Z_STREAM_END:
                    let rest = input.count - Int(stream.avail_in)
                    guard stream.avail_in >= 2, input[rest] == 0x1f, input[rest + 1] == 0x8b else {
                        throw DataError.corruptGzip(path, reason: "\(stream.avail_in) bytes after the end of the stream are not a gzip member")
                    }
                    inflateReset(&stream)
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError.corruptGzip(path, reason: "the stream ends early; the file is truncated")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError.corruptGzip(path, reason: message)
                }
            }
        }
        return output
    }

    private static func sizeHint(_ bytes: [UInt8]) -> UInt32 {
        guard bytes.count >= 18 else { return 0 }
        let n = bytes.count
        return UInt32(bytes[n - 4]) | UInt32(bytes[n - 3]) << 8 | UInt32(bytes[n - 2]) << 16 | UInt32(bytes[n - 1]) << 24
    }
}
