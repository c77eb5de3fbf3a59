import ArgumentParser
import CLTrain

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Show which data cltrain would train on: files, sample counts, label histogram, checksums."
    )

    @OptionGroup var options: DataOptions

    func run() throws {
        print(try options.request.load().report())
    }
}
