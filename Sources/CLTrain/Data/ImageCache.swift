import Foundation

/// An image folder decoded once: `<cache>/images/<key>.bin`, the key the MD5 of the file list with every file's
/// size and modification time, the class names and the options that change the pixels (`--resize`, `--skip-bad`).
/// Any change to the folder gives another key, so a stale file is never read; one that does not parse is
/// decoded again and replaced.
///
/// Layout: `cltrain image cache 1\n`, an 8-byte little-endian length, that many bytes of JSON (`Header`), then
/// each split's pixels (count × channels × rows × columns) followed by its labels. The file is mapped, not read:
/// the pixels are ranges of the mapping, so a run holds in memory only the pixels it is using.
struct ImageCache {
    let path: String
    private let classes: Int

    struct Split {
        let name: String
        let images: DataBytes
        let labels: [UInt8]
    }

    struct Contents {
        let channels: Int, rows: Int, columns: Int
        let splits: [Split]
        /// Images decoded per format, e.g. ["PNG": 9800, "JPEG": 200].
        let formats: [String: Int]
        /// What decoding did besides: files ignored, images skipped, converted or resized.
        let notes: [String]
    }

    private struct Header: Codable {
        let channels: Int, rows: Int, columns: Int
        let splits: [String], counts: [Int]
        let formats: [String: Int]
        let notes: [String]
    }

    private static let magic = Array("cltrain image cache 1\n".utf8)

    init(directory: String, splits: [ImageFolder.Split], options: ImageFolderOptions, classNames: [String]) {
        var key = "resize \(options.resize.map(String.init(describing:)) ?? "none") skip-bad \(options.skipBad)\n"
        key += classNames.joined(separator: "/") + "\n"
        for split in splits {
            key += "\(split.name) \(split.strays)\n" + split.entries.map { "\($0.path)\t\($0.label)\t\($0.size)\t\($0.modified)\n" }.joined()
        }
        path = directory + "/" + MD5.hex(Array(key.utf8)) + ".bin"
        classes = classNames.count
    }

    /// The cached contents, or nil where there is no usable file.
    func read() -> Contents? { Self.contents(at: path, classes: classes) }

    /// The contents of the cache file at `path` for data of `classes` classes, or nil where it does not parse whole.
    static func contents(at path: String, classes: Int) -> Contents? {
        guard let file = try? MappedFile(path: path) else { return nil }
        let bytes = DataBytes(file)
        guard bytes.starts(with: magic), bytes.count >= magic.count + 8 else { return nil }
        let lengthAt = magic.count
        let length = bytes[lengthAt..<(lengthAt + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard length >= 0, length <= bytes.count - lengthAt - 8,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes.bytes((lengthAt + 8)..<(lengthAt + 8 + length)))),
              header.splits.count == header.counts.count, header.counts.allSatisfy({ $0 >= 0 }),
              [header.channels, header.rows, header.columns].allSatisfy({ (1...IDX.maximumSide).contains($0) }) else { return nil }
        let pixels = header.channels * header.rows * header.columns
        var offset = lengthAt + 8 + length, splits: [Split] = []
        for (name, count) in zip(header.splits, header.counts) {
            let (size, overflow) = count.multipliedReportingOverflow(by: pixels + 1)
            guard !overflow, size <= bytes.count - offset else { return nil }
            let labels = Array(bytes[(offset + count * pixels)..<(offset + size)])
            guard labels.allSatisfy({ Int($0) < classes }) else { return nil }
            splits.append(Split(name: name, images: bytes.bytes(offset..<(offset + count * pixels)), labels: labels))
            offset += size
        }
        guard offset == bytes.count else { return nil }
        return Contents(channels: header.channels, rows: header.rows, columns: header.columns, splits: splits,
                        formats: header.formats, notes: header.notes)
    }

    /// Writes `contents` atomically; returns why it could not, since training goes on without a cache.
    func write(_ contents: Contents) -> String? {
        let header = Header(channels: contents.channels, rows: contents.rows, columns: contents.columns,
                            splits: contents.splits.map(\.name), counts: contents.splits.map(\.labels.count),
                            formats: contents.formats, notes: contents.notes)
        guard let json = try? JSONEncoder().encode(header) else { return "the header did not encode" }
        var bytes = Self.magic + (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) } + Array(json)
        for split in contents.splits { bytes += Array(split.images) + split.labels }
        do {
            try Fetcher.createFolder((path as NSString).deletingLastPathComponent)
            try FileBytes.replace(path, with: bytes)
        } catch let failure as FileBytes.Failure {
            return "\(path): \(failure.step): \(failure.reason)"
        } catch {
            return "\(error)"
        }
        return nil
    }
}
