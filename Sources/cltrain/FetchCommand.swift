import ArgumentParser
import CLTrain
import Foundation

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a dataset into the user cache ($XDG_CACHE_HOME/cltrain, else ~/.cache/cltrain), checking each file's MD5."
    )

    @Option(name: .long, help: "mnist, fashion, cifar10 or cifar100 (binary version).")
    var dataset: DatasetKind = .mnist

    @Option(name: .long, help: ArgumentHelp("Fetch the same files from this location instead (a lab's mirror); the published "
                                            + "checksums still apply.", valueName: "url"))
    var mirror: String?

    func run() throws {
        // The progress line is redrawn in place, so it only goes to a terminal; a log line first clears it.
        let terminal = isatty(STDERR_FILENO) == 1
        var drawn = false
        try Fetcher.fetch(dataset, mirror: mirror, log: { line in
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); drawn = false }
            print(line)
        }, progress: { line in
            guard terminal else { return }
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            drawn = true
        })
    }
}
