import Foundation

/// An HTTP server on 127.0.0.1 serving a folder (Python's `http.server`), a stand-in for a dataset's mirror: tests
/// never use the network. It listens on a port the system picks and stops when released.
public final class LocalServer {
    private let process = Process()
    /// The folder's URL, ending in `/`.
    public let url: String

    public init(serving folder: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import functools, http.server, sys
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """, folder]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line is the port, printed once the socket listens.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")), case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty {
            line += chunk
        }
        let port = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        url = "http://127.0.0.1:\(port)/"
    }

    deinit {
        // SIGKILL: the child inherits a thread's signal mask, in which SIGTERM can be blocked.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
