import Foundation

extension CIFAR {
    /// Where the dataset's authors publish the archives.
    static let canonicalLocation = "https://www.cs.toronto.edu/~kriz/"

    static func archiveName(_ kind: DatasetKind) -> String { kind == .cifar10 ? "cifar-10-binary.tar.gz" : "cifar-100-binary.tar.gz" }

    /// The MD5 of each archive as its authors publish it (cs.toronto.edu/~kriz/cifar.html).
    static func publishedMD5(_ kind: DatasetKind) -> String {
        kind == .cifar10 ? "c32a1d4ab5d03f1284b67883e8d87530" : "03b5dce01913d631647c71ecec9e9cb8"
    }
}

extension Fetcher {
    /// Downloads `kind`'s archive from `base`, checks it against `md5` before reading a byte of it, and unpacks it
    /// in-process into `cache`: every tar entry is checked first (`Tar.entries`), so a refused archive writes
    /// nothing, and each file is written atomically.
    static func fetchArchive(_ kind: DatasetKind, from base: String, md5 expected: String, into cache: String,
                             log: (String) -> Void, progress: (String) -> Void) throws {
        let name = CIFAR.archiveName(kind), url = base + name
        let archive: [UInt8]
        do { archive = try download(url, name: name, progress: progress) } catch let failure as DownloadFailure {
            throw DataError.fetchFailed("\(url): \(failure.message)")
        }
        let md5 = MD5.hex(archive)
        guard md5 == expected else { throw DataError.checksumMismatch(url, expected: expected, actual: md5) }
        let entries = try Tar.entries(try Gzip.decompress(archive, path: url, limit: 1 << 30), source: url)
        try createFolder(cache)
        for entry in entries {
            let path = cache + "/" + entry.path
            guard let contents = entry.contents else {
                try createFolder(path)
                continue
            }
            try createFolder((path as NSString).deletingLastPathComponent)
            do { try FileBytes.replace(path, with: Array(contents)) } catch {
                throw DataError.fetchFailed("\(path): cannot write it (\(error.step)): \(error.reason)")
            }
        }
        guard CIFAR.Layout(in: cache) != nil else {
            throw DataError.fetchFailed("\(url): the archive holds no \(kind.displayName) batches")
        }
        log("\(name): \(archive.count) bytes from \(url), checksum matches; unpacked into \(abbreviated(cache))")
    }
}
