import ArgumentParser
import CLTrain
import Foundation

/// Refuses an output path whose directory does not exist or is not writable, before any work starts.
func checkWritable(_ path: String, option: String) throws {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("\(option) \(path): the directory \(directory) does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
        throw ValidationError("\(option) \(path): the directory \(directory) is not writable")
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw ValidationError("\(option) \(path): is a directory")
    }
}

/// Replaces `path` whole (temporary file, then rename), so a reader never sees half a file.
func writeAtomically(_ text: String, to path: String, option: String) throws {
    do {
        try FileBytes.replace(path, with: Array(text.utf8))
    } catch {
        throw CommandError("\(option) \(path): cannot write it (\(error.step)): \(error.reason)")
    }
}
