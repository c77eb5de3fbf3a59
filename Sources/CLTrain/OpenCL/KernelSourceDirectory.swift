import Foundation

extension Kernels {
    /// The embedded sources with every `.cl` file of `directory` in place of its namesake, for trying an edited
    /// kernel without rebuilding (`cltrain selftest --kernels Kernels/`).
    public static func sources(overriddenBy directory: String) throws -> [String: String] {
        let url = URL(fileURLWithPath: directory)
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "cl" }
        } catch {
            throw KernelSourceError("\(directory): not a readable directory")
        }
        if files.isEmpty { throw KernelSourceError("\(directory): holds no .cl files") }
        var sources = Kernels.sources
        for file in files {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                throw KernelSourceError("\(file.path): not readable as UTF-8 text")
            }
            sources[file.deletingPathExtension().lastPathComponent] = text
        }
        return sources
    }
}

public struct KernelSourceError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
