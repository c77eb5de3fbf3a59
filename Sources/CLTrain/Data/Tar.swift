import Foundation

/// POSIX tar archives (ustar, as `tar` and Python's `tarfile` write them) read in memory, so a fetched dataset is
/// unpacked without a `tar` process. Every entry is checked before anything is written: only files and folders,
/// and no path that would land outside the destination (absolute, or with a `..` component).
enum Tar {
    struct Entry {
        let path: String
        /// nil for a folder.
        let contents: ArraySlice<UInt8>?
    }

    static let block = 512

    /// The archive's entries in order; `source` names the archive in errors.
    static func entries(_ bytes: [UInt8], source: String) throws -> [Entry] {
        var entries: [Entry] = [], offset = 0
        func damaged(_ reason: String) -> DataError { .fetchFailed("\(source): a damaged tar archive (\(reason))") }
        while offset + block <= bytes.count {
            let header = bytes[offset..<(offset + block)]
            if header.allSatisfy({ $0 == 0 }) { return entries }  // the end-of-archive marker
            let stored = octal(header, 148, 8)
            let sum = header.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 32 : Int($1.element)) }
            guard stored == sum else { throw damaged("header at byte \(offset) fails its checksum") }
            var name = text(header, 0, 100)
            if text(header, 257, 5) == "ustar", case let prefix = text(header, 345, 155), !prefix.isEmpty { name = prefix + "/" + name }
            guard let size = octal(header, 124, 12), size >= 0, offset + block + size <= bytes.count else {
                throw damaged("entry \(name) runs past the end")
            }
            let type = header[header.startIndex + 156]
            let contents = bytes[(offset + block)..<(offset + block + size)]
            offset += block + (size + block - 1) / block * block
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): entries.append(Entry(path: try checked(name, source: source), contents: contents))
            case UInt8(ascii: "5"): entries.append(Entry(path: try checked(name, source: source), contents: nil))
            case UInt8(ascii: "x"), UInt8(ascii: "g"): continue  // pax attributes; the ustar name that follows is checked
            default:
                throw DataError.fetchFailed("\(source): tar entry \(name) is a link or special file (type \(Character(Unicode.Scalar(type)))); "
                    + "only files and folders are unpacked")
            }
        }
        throw damaged("it ends without its end-of-archive blocks")
    }

    /// `name` if it stays below the destination: relative, without `..`.
    private static func checked(_ name: String, source: String) throws -> String {
        let parts = name.split(separator: "/")
        guard !name.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
            throw DataError.fetchFailed("\(source): tar entry \(name) would land outside the destination; the archive is refused")
        }
        return parts.filter { $0 != "." }.joined(separator: "/")
    }

    private static func text(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> String {
        let field = header[(header.startIndex + at)..<(header.startIndex + at + length)]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal number field (spaces and NULs around it allowed); nil if it holds anything else.
    private static func octal(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> Int? {
        let digits = text(header, at, length).trimmingCharacters(in: .whitespaces)
        return digits.count <= 20 ? Int(digits, radix: 8) : nil
    }
}
