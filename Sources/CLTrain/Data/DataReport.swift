/// One split's file, compared with the published checksum.
public struct ChecksumCheck: Sendable, Equatable {
    public let file: IDXFile
    public let md5: String
    public let expected: String
    public var matches: Bool { md5 == expected }
}

extension LoadedData {
    /// The MD5 of each split re-encoded as IDX, against the published files: the same verdict whether the data was
    /// read from raw IDX, gzip or CSV. None for data that is not published as IDX.
    public func checksums() -> [ChecksumCheck] {
        guard kind.canonicalMD5(.trainImages) != nil else { return [] }
        return [(IDXFile.trainImages, IDX.encodeImages(train)), (.trainLabels, IDX.encodeLabels(train)),
                (.testImages, IDX.encodeImages(test)), (.testLabels, IDX.encodeLabels(test))].map { file, bytes in
            ChecksumCheck(file: file, md5: MD5.hex(bytes), expected: kind.canonicalMD5(file) ?? "")
        }
    }

    /// What `cltrain data` prints: source, files, sizes, label histograms and the checksum verdict.
    public func report() -> String {
        var lines = ["\(name) from \(source)", "files:"]
        lines += files.map { "  " + abbreviated($0) }
        lines.append("split  samples  image  label counts 0–\(train.classes - 1)")
        for split in [train, test] {
            let counts = split.labelCounts
            let name = split.name.split(separator: " ").last.map(String.init) ?? split.name
            lines.append(pad(name, 5) + "  " + pad("\(split.count)", 7, right: true) + "  \(split.channels > 1 ? "\(split.channels)×" : "")\(split.rows)×\(split.columns)  "
                + counts.map(String.init).joined(separator: " "))
        }
        if classNames != kind.classNames(count: classNames.count) || kind == .folder {
            lines.append("classes: " + classNames.joined(separator: ", "))
        }
        lines += notes
        let checks = checksums(), mismatches = checks.filter { !$0.matches }
        if checks.isEmpty {
            return lines.joined(separator: "\n")
        } else if mismatches.isEmpty {
            lines.append("checksums: all four match the published \(kind.displayName) files")
        } else {
            lines.append("checksums: \(mismatches.count) of 4 differ from the published \(kind.displayName) files:")
            lines += mismatches.map { "  \($0.file.rawValue): md5 \($0.md5), published \($0.expected)" }
        }
        return lines.joined(separator: "\n")
    }
}

/// `cltrain data --json`: the same facts as `report()`.
public struct DataJSONReport: JSONReport {
    struct Split: Encodable {
        let name: String, samples: Int, channels: Int, rows: Int, columns: Int
        /// Samples per class, index = class.
        let labelCounts: [Int]
    }

    struct Checksum: Encodable {
        let file: String, md5: String, expected: String, matches: Bool
    }

    let dataset: String
    let source: String
    let files: [String]
    let splits: [Split]
    let classNames: [String]
    let notes: [String]
    let checksums: [Checksum]
    /// nil where no published checksums apply (an image folder).
    let checksumsMatch: Bool?

    public init(_ data: LoadedData) {
        dataset = data.kind.rawValue
        source = data.source
        files = data.files
        splits = [data.train, data.test].map { split in
            Split(name: split.name.split(separator: " ").last.map(String.init) ?? split.name, samples: split.count,
                  channels: split.channels, rows: split.rows, columns: split.columns, labelCounts: split.labelCounts)
        }
        (classNames, notes) = (data.classNames, data.notes)
        checksums = data.checksums().map { Checksum(file: $0.file.rawValue, md5: $0.md5, expected: $0.expected, matches: $0.matches) }
        checksumsMatch = checksums.isEmpty ? nil : checksums.allSatisfy(\.matches)
    }
}

private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}
