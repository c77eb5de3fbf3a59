import Foundation

/// A failure found while a command runs (not in its options' syntax): printed as one line, without the usage
/// text that ArgumentParser adds to a ValidationError.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A caution that does not stop the command: one line on stderr, so output that is parsed stays clean.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}
