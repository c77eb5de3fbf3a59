import Foundation

/// `text` wrapped for `--help` so that a wrapped line keeps its line's indent: ArgumentParser wraps a command's
/// discussion without any indent, which tore the presets' layer lists apart (issue 23). Lines are wrapped one column
/// short of the width ArgumentParser wraps at, so it finds nothing left to wrap.
func helpText(_ text: String, width: Int = helpColumns() - 1) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        let indent = String(line.prefix { $0 == " " } as Substring)
        var lines: [String] = [], current = indent
        for word in line.dropFirst(indent.count).split(separator: " ") {
            // A word longer than the room left goes on a line of its own rather than being cut.
            if current.count > indent.count && current.count + 1 + word.count > width {
                lines.append(current)
                current = indent
            }
            current += (current.count > indent.count ? " " : "") + word
        }
        return (lines + [current]).joined(separator: "\n")
    }.joined(separator: "\n")
}

/// The width ArgumentParser wraps help at: `$COLUMNS`, else the terminal's, else 80.
func helpColumns() -> Int {
    if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return max(columns, 20) }
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return max(Int(size.ws_col), 20) }
    return 80
}
