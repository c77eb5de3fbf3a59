import ArgumentParser
import CLTrain

extension DatasetKind: ExpressibleByArgument {}

/// `--data`, `--train`/`--test`, `--dataset` and how image folders are read, shared by every command that reads data.
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

    @Option(name: .long, help: "MNIST digits, Fashion-MNIST clothing, or an image folder (named by --data). (default: mnist, or a checkpoint's own dataset)")
    var dataset: DatasetKind?

    @Option(name: .long, help: ArgumentHelp("Image folders: resample every image to this size (default: all must have the first image's).",
                                            valueName: "H,W"))
    var resize: String?

    @Flag(name: .long, help: "Image folders: leave out images that do not decode (counted in the report) instead of stopping.")
    var skipBad = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Image folders of class folders only: hold out this fraction of each class as the test set, drawn by --seed "
            + "(recorded in the checkpoint).", valueName: "F"))
    var validationSplit: Double?

    func validate() throws {
        if let resize, ImageSize(parsing: resize) == nil {
            throw ValidationError("--resize must be H,W with sides from 1 to \(IDX.maximumSide), got \(resize)")
        }
        if let validationSplit, !(validationSplit > 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be a fraction between 0 and 1 (exclusive), got \(validationSplit)")
        }
        if data != nil && (train != nil || test != nil) {
            throw ValidationError("--data excludes --train and --test; pass a folder or two files")
        }
        if (train == nil) != (test == nil) {
            throw ValidationError("--train and --test go together; pass both")
        }
    }

    var request: DataRequest { request(defaultKind: .mnist) }

    /// The data named, with `defaultKind` (e.g. a checkpoint's dataset) where `--dataset` is not given, and an image
    /// folder's split drawn by `splitSeed` (the run's seed) unless `split` (a checkpoint's) fixes it, resized to `size`
    /// (a checkpoint's) unless `--resize` says otherwise.
    func request(defaultKind: DatasetKind, splitSeed: UInt64 = 0, split: ValidationSplit? = nil, size: ImageSize? = nil) -> DataRequest {
        let images = ImageFolderOptions(resize: resize.flatMap(ImageSize.init(parsing:)) ?? size, skipBad: skipBad,
                                        validationSplit: validationSplit ?? split?.fraction, splitSeed: split?.seed ?? splitSeed)
        return DataRequest(kind: dataset ?? defaultKind, directory: data, trainFile: train, testFile: test, images: images)
    }

    /// The data a checkpoint is evaluated on: its own dataset (validation split, resize) unless `--dataset` names another,
    /// which is allowed (a model may be tried on other data) but said on stderr, since its figures mean something else.
    func request(for checkpoint: Checkpoint, path: String) -> DataRequest {
        if let dataset, dataset != checkpoint.datasetKind {
            warn("\(path) was trained on \(checkpoint.datasetKind.displayName); using \(dataset.displayName) as --dataset asks")
        }
        return request(defaultKind: checkpoint.datasetKind, split: checkpoint.validationSplit, size: checkpoint.resize)
    }
}
