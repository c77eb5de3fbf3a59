import ArgumentParser
import CLTrain
import Foundation

/// Refuses, before any work starts, output paths that could not be written or would destroy something: an
/// empty path, a missing or unwritable folder, a folder, FIFO, device or symbolic link in the way, a name without
/// the format's `fileExtension`, and an output that is another output or one of `inputs`.
func checkOutputs(_ outputs: [(option: String, path: String?)], inputs: [(option: String, path: String?)]) throws {
    let named = outputs.compactMap { output in output.path.map { (option: output.option, path: $0) } }
    for output in named {
        try checkWritable(output.path, option: output.option)
    }
    if let message = collision(named, inputs.compactMap { input in input.path.map { (option: input.option, path: $0) } }) {
        throw ValidationError(message)
    }
}

/// The same check against the data files a command read, known only once they are found.
func checkOutputs(_ outputs: [(option: String, path: String?)], notAmong dataFiles: [String]) throws {
    let named = outputs.compactMap { output in output.path.map { (option: output.option, path: $0) } }
    if let message = collision(named, dataFiles.map { (option: "data file", path: $0) }) { throw CommandError(message) }
}

/// Writes into an existing folder a regular file, whose name ends in `.svg` for the SVG outputs.
private func checkWritable(_ path: String, option: String) throws {
    guard !path.isEmpty else { throw ValidationError("\(option): the path is empty; name a file") }
    if ["--plot", "--svg"].contains(option), !path.lowercased().hasSuffix(".svg") {
        throw ValidationError("\(option) \(path): the file must end in .svg, the format written there")
    }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("\(option) \(path): the directory \(directory) does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
        throw ValidationError("\(option) \(path): the directory \(directory) is not writable")
    }
    var info = stat()
    if lstat(path, &info) == 0, let kind = FileBytes.nonRegularKind(info.st_mode) {
        throw ValidationError("\(option) \(path): it is \(kind); cltrain writes only regular files and will not replace it")
    }
}

/// A message naming the first output that is another output or an input, else nil. Paths are compared resolved
/// (`./m` and `m`, folders reached through symbolic links) and, where the files exist, by device and inode
/// (hard links). `--save` may be `--resume`: continuing a checkpoint in place is what `--resume` does.
private func collision(_ outputs: [(option: String, path: String)], _ inputs: [(option: String, path: String)]) -> String? {
    for (index, output) in outputs.enumerated() {
        let others = outputs[..<index].map { ($0.option, $0.path) }
            + inputs.filter { !(output.option == "--save" && $0.option == "--resume") }.map { ($0.option, $0.path) }
        if let (option, path) = others.first(where: { sameFile(output.path, $0.1) }) {
            let what = option == "data file" ? "the data file \(path)" : "\(option) \(path)"
            return "\(output.option) \(output.path): is also \(what); writing it would destroy that file, name another"
        }
    }
    return nil
}

private func sameFile(_ a: String, _ b: String) -> Bool {
    var first = stat(), second = stat()
    if stat(a, &first) == 0, stat(b, &second) == 0 { return first.st_dev == second.st_dev && first.st_ino == second.st_ino }
    return resolved(a) == resolved(b)
}

/// `path` with its folder's symbolic links and `.`/`..` resolved; the last component is kept as written.
private func resolved(_ path: String) -> String {
    let url = URL(fileURLWithPath: path)
    return url.deletingLastPathComponent().resolvingSymlinksInPath().path + "/" + url.lastPathComponent
}

/// Replaces `path` whole (temporary file, then rename), so a reader never sees half a file.
func writeAtomically(_ text: String, to path: String, option: String) throws {
    do {
        try FileBytes.replace(path, with: Array(text.utf8))
    } catch {
        throw CommandError("\(option) \(path): cannot write it (\(error.step)): \(error.reason)")
    }
}
