import ArgumentParser
import CLTrain

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Show which data cltrain would train on: files, sample counts, label histogram, checksums."
    )

    @OptionGroup var options: DataOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let loaded = try options.request.load()
        print(json ? try DataJSONReport(loaded).reportJSON() : loaded.report())
    }
}
