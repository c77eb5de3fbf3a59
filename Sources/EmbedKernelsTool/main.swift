// Writes a Swift file holding each OpenCL source given, keyed by its file name without `.cl`.
// usage: EmbedKernelsTool OUTPUT.swift KERNEL.cl ...
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedKernelsTool OUTPUT.swift KERNEL.cl ...\n".utf8))
    exit(2)
}
var swift = "// Generated from Kernels/*.cl by the EmbedKernels plugin. Edit the .cl files, not this.\n"
swift += "enum KernelSources {\n    static let all: [String: String] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let source = try String(contentsOf: url, encoding: .utf8)
    // A raw string whose delimiter cannot occur in the source keeps every character as written.
    var hashes = "#"
    while source.contains("\"\"\"" + hashes) { hashes += "#" }
    let name = url.deletingPathExtension().lastPathComponent
    swift += "        \"\(name)\": \(hashes)\"\"\"\n\(source)\n\"\"\"\(hashes),\n"
}
if arguments.count == 1 { swift += "        :\n" }
swift += "    ]\n}\n"
try swift.write(toFile: output, atomically: true, encoding: .utf8)
