import ArgumentParser
import CLTrain

extension DatasetKind: ExpressibleByArgument {}

/// `--data`, `--train`/`--test` and `--dataset`, shared by every command that reads data.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Folder holding the four IDX files (.gz or not). Default: $CLTRAIN_DATA, else the user cache "
            + "(fashion: /usr/share/datasets/fashion-mnist first).",
        valueName: "dir"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("Training file: CSV (label,p0,…,p783) or IDX, detected by content.", valueName: "file"))
    var train: String?

    @Option(name: .long, help: ArgumentHelp("Test file: CSV or IDX, detected by content.", valueName: "file"))
    var test: String?

    @Option(name: .long, help: "MNIST digits or Fashion-MNIST clothing. (default: mnist, or a checkpoint's own dataset)")
    var dataset: DatasetKind?

    func validate() throws {
        if data != nil && (train != nil || test != nil) {
            throw ValidationError("--data excludes --train and --test; pass a folder or two files")
        }
        if (train == nil) != (test == nil) {
            throw ValidationError("--train and --test go together; pass both")
        }
    }

    var request: DataRequest { request(defaultKind: .mnist) }

    /// The data named, with `defaultKind` (e.g. a checkpoint's dataset) where `--dataset` is not given.
    func request(defaultKind: DatasetKind) -> DataRequest {
        DataRequest(kind: dataset ?? defaultKind, directory: data, trainFile: train, testFile: test)
    }

    /// The data a checkpoint is evaluated on: its own dataset unless `--dataset` names another, which is
    /// allowed (a model may be tried on other data) but said on stderr, since its figures mean something else.
    func request(for checkpoint: Checkpoint, path: String) -> DataRequest {
        if let dataset, dataset != checkpoint.datasetKind {
            warn("\(path) was trained on \(checkpoint.datasetKind.displayName); using \(dataset.displayName) as --dataset asks")
        }
        return request(defaultKind: checkpoint.datasetKind)
    }
}
