import ArgumentParser
import CLTrain
import Foundation

struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a dataset into the user cache ($XDG_CACHE_HOME/cltrain, else ~/.cache/cltrain), checking each file's MD5."
    )

    @Option(name: .long, help: "Which dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetKind = .mnist

    func run() throws {
        // The progress line is redrawn in place on the terminal; each log line first clears it.
        var drawn = false
        try Fetcher.fetch(dataset, log: { line in
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); drawn = false }
            print(line)
        }, progress: { line in
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            drawn = true
        })
        print(try DataRequest(kind: dataset).load().report())
    }
}
