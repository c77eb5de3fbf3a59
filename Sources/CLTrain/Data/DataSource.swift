import Foundation

/// Which dataset: a published one (MNIST and Fashion-MNIST share MNIST's format: 28×28 uint8 images, labels 0–9,
/// 60,000 + 10,000; CIFAR-10 and CIFAR-100 their binary version: 3×32×32, 50,000 + 10,000), or `folder`, the
/// user's own image folder, which only `--data DIR` names.
public enum DatasetKind: String, CaseIterable, Sendable {
    case mnist, fashion, cifar10, cifar100, folder

    public var displayName: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashion: return "Fashion-MNIST"
        case .cifar10: return "CIFAR-10"
        case .cifar100: return "CIFAR-100"
        case .folder: return "image folder"
        }
    }

    /// What each label means, as the datasets' authors name the classes; CIFAR's and a folder's come from the data.
    public var classNames: [String] {
        switch self {
        case .mnist: return (0...9).map(String.init)
        case .fashion: return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        case .cifar10, .cifar100, .folder: return []
        }
    }

    /// Names for data of `classes` classes: the dataset's own where it has as many, else the class numbers.
    public func classNames(count classes: Int) -> [String] {
        classNames.count == classes ? classNames : (0..<classes).map(String.init)
    }

    /// Debian's `dataset-fashion-mnist` installs the four gzip files here; MNIST has no such package.
    public var systemDirectory: String? {
        switch self {
        case .mnist, .cifar10, .cifar100, .folder: return nil
        case .fashion: return "/usr/share/datasets/fashion-mnist"
        }
    }

    /// `$XDG_CACHE_HOME/cltrain/<kind>`, else `~/.cache/cltrain/<kind>`: where `cltrain fetch` writes.
    public func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        cacheFolder(environment: environment) + "/" + rawValue
    }

    public var fetchCommand: String { self == .mnist ? "cltrain fetch" : "cltrain fetch --dataset \(rawValue)" }

    /// MD5 of each uncompressed IDX file as published (nil for data that is not published as IDX). Checked on the
    /// uncompressed bytes because mirrors and distributions recompress the `.gz` files (Debian's Fashion-MNIST
    /// `.gz` differ from Zalando's, their contents do not).
    public func canonicalMD5(_ file: IDXFile) -> String? {
        switch (self, file) {
        case (.mnist, .trainImages): return "6bbc9ace898e44ae57da46a324031adb"
        case (.mnist, .trainLabels): return "a25bea736e30d166cdddb491f175f624"
        case (.mnist, .testImages): return "2646ac647ad5339dbf082846283269ea"
        case (.mnist, .testLabels): return "27ae3e4e09519cfbb04c329615203637"
        case (.fashion, .trainImages): return "f4a8712d7a061bf5bd6d2ca38dc4d50a"
        case (.fashion, .trainLabels): return "9018921c3c673c538a1fc5bad174d6f9"
        case (.fashion, .testImages): return "8181f5470baa50b63fa0f6fddb340f0a"
        case (.fashion, .testLabels): return "15d484375f8d13e6eb1aabb0c3f46965"
        case (.cifar10, _), (.cifar100, _), (.folder, _): return nil
        }
    }
}

/// The four files of a dataset, named as LeCun published them.
public enum IDXFile: String, CaseIterable, Sendable {
    case trainImages = "train-images-idx3-ubyte"
    case trainLabels = "train-labels-idx1-ubyte"
    case testImages = "t10k-images-idx3-ubyte"
    case testLabels = "t10k-labels-idx1-ubyte"

    /// Both spellings seen in the wild (`train-images-idx3-ubyte`, `train-images.idx3-ubyte`), with or without `.gz`.
    public var spellings: [String] {
        let dotted = rawValue.replacingOccurrences(of: "-idx", with: ".idx")
        return [rawValue, rawValue + ".gz", dotted, dotted + ".gz"]
    }

    /// The first spelling present in `directory`.
    public func locate(in directory: String) -> String? {
        spellings.map { directory + "/" + $0 }.first(where: entryExists)
    }
}

/// Where the data comes from; the first of these that is given wins: `directory` (`--data`), `trainFile`
/// and `testFile` (`--train`, `--test`), `$CLTRAIN_DATA`, then the default locations of `kind`.
public struct DataRequest: Sendable {
    public var kind: DatasetKind
    public var directory: String?
    public var trainFile: String?
    public var testFile: String?
    /// How an image folder named by `directory` is read.
    public var images: ImageFolderOptions

    public init(kind: DatasetKind = .mnist, directory: String? = nil, trainFile: String? = nil, testFile: String? = nil,
                images: ImageFolderOptions = ImageFolderOptions()) {
        self.kind = kind
        self.directory = directory
        self.trainFile = trainFile
        self.testFile = testFile
        self.images = images
    }
}

public struct LoadedData: Sendable {
    public let train: Dataset
    public let test: Dataset
    /// Where it came from and in which format, e.g. "~/.cache/cltrain/mnist (IDX)".
    public let source: String
    public let kind: DatasetKind
    /// Every file read, in the order train images, train labels, test images, test labels (CSV: train, test);
    /// an image folder's own path.
    public let files: [String]
    /// What each class is called, one name per class the data declares.
    public let classNames: [String]
    /// What reading did that a user should know, one line each: files ignored, images skipped or converted.
    public let notes: [String]
    /// What the data was read from, in a form that changes whenever its images could: every file with its size and
    /// modification time, or what the loader says instead (an image folder: its decode cache, whose name covers the
    /// same, and the split). Keys what is measured on the data once (`NormalizationCache`).
    public let identity: String

    /// - Parameter identity: nil for every file of `files` with its size and modification time.
    public init(train: Dataset, test: Dataset, source: String, kind: DatasetKind, files: [String], classNames: [String]? = nil,
                notes: [String] = [], identity: String? = nil) {
        (self.train, self.test, self.source, self.kind, self.files) = (train, test, source, kind, files)
        self.classNames = classNames ?? kind.classNames(count: max(train.classes, test.classes))
        self.notes = notes
        self.identity = identity ?? files.map { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return path }
            return "\(path)\t\(info.st_size)\t\(Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec))"
        }.joined(separator: "\n")
    }
}

extension DataRequest {
    /// Reads and validates both splits, which must hold images of one shape; both declare the classes either
    /// has. Throws `DataError` naming the file at fault; nothing is returned half-read.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LoadedData {
        let loaded = try loadSplits(environment: environment)
        let (train, test) = (loaded.train, loaded.test)
        guard train.shape == test.shape else {
            throw DataError.shapeMismatch(train: loaded.files[0], trainShape: "\(train.shape)",
                                          test: loaded.files[loaded.files.count / 2], testShape: "\(test.shape)")
        }
        let classes = max(train.classes, test.classes)
        return LoadedData(train: train.declaring(classes: classes), test: test.declaring(classes: classes),
                          source: loaded.source, kind: loaded.kind, files: loaded.files,
                          classNames: loaded.classNames.count == classes ? loaded.classNames : nil, notes: loaded.notes,
                          identity: loaded.identity)
    }

    private func loadSplits(environment: [String: String]) throws -> LoadedData {
        switch try location(environment: environment) {
        case .files(let train, let test):
            let (trainSet, trainFiles, trainFormat) = try loadFile(train, split: "train")
            let (testSet, testFiles, testFormat) = try loadFile(test, split: "test")
            let format = trainFormat == testFormat ? trainFormat : "\(trainFormat) + \(testFormat)"
            return LoadedData(train: trainSet, test: testSet, source: "\(abbreviated(train)) + \(abbreviated(test)) (\(format))",
                              kind: idxKind, files: trainFiles + testFiles)
        case .directory(let directory, _) where CIFAR.Layout(in: directory) != nil:
            return try CIFAR.Layout(in: directory)!.load()
        case .directory(let directory, let hint) where kind == .cifar10 || kind == .cifar100:
            throw DataError.missingFile(directory + "/" + (kind == .cifar10 ? "data_batch_1.bin" : "train.bin"), hint: hint)
        case .directory(let directory, _) where IDXFile.allCases.allSatisfy({ $0.locate(in: directory) == nil })
                                                  && ImageFolder.looksLike(directory):
            return try ImageFolder(directory: directory, options: images).load(environment: environment)
        case .directory(let directory, let hint):
            let paths = try IDXFile.allCases.map { file in
                guard let path = file.locate(in: directory) else {
                    throw DataError.missingFile(directory + "/" + file.rawValue, hint: hint)
                }
                return path
            }
            let train = try loadIDX(images: paths[0], labels: paths[1], split: "train")
            let test = try loadIDX(images: paths[2], labels: paths[3], split: "test")
            return LoadedData(train: train, test: test, source: "\(abbreviated(directory)) (IDX)", kind: idxKind, files: paths)
        }
    }

    /// True when nothing was named explicitly and the default location lacks the files, so a fetch would help.
    public func wouldFetch(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard kind != .folder, directory == nil, trainFile == nil, testFile == nil, nonEmpty(environment["CLTRAIN_DATA"]) == nil else {
            return false
        }
        return !defaultDirectories(environment: environment).contains(where: isComplete)
    }

    /// IDX and CSV files hold MNIST or Fashion-MNIST; `--dataset` says which (any other kind means MNIST's format).
    private var idxKind: DatasetKind { kind == .fashion ? .fashion : .mnist }

    private enum Location {
        case files(train: String, test: String)
        /// `hint` tells the user how to fill the folder when a file is missing.
        case directory(String, hint: String)
    }

    private func location(environment: [String: String]) throws -> Location {
        if kind == .folder && directory == nil && trainFile == nil && testFile == nil {
            throw DataError.invalidRequest("an image folder is named with --data DIR; pass the folder the model was trained on")
        }
        let fill = "`\(kind.fetchCommand)` downloads \(kind.displayName) into \(abbreviated(kind.cacheDirectory(environment: environment)))"
        if let directory {
            if trainFile != nil || testFile != nil {
                throw DataError.invalidRequest("--data excludes --train and --test; name a folder or two files")
            }
            return .directory(directory, hint: "--data needs the four IDX files there (.gz or not), CIFAR's binary batches or "
                + "class folders of images; \(fill)")
        }
        switch (trainFile, testFile) {
        case let (train?, test?): return .files(train: train, test: test)
        case (_?, nil): throw DataError.invalidRequest("--train needs --test too")
        case (nil, _?): throw DataError.invalidRequest("--test needs --train too")
        case (nil, nil): break
        }
        if let directory = nonEmpty(environment["CLTRAIN_DATA"]) {
            return .directory(directory, hint: "CLTRAIN_DATA names this folder; put the four IDX files there or unset it and run `\(kind.fetchCommand)`")
        }
        let candidates = defaultDirectories(environment: environment)
        let chosen = candidates.first(where: isComplete)
            ?? candidates.first { directory in IDXFile.allCases.contains { $0.locate(in: directory) != nil } }
            ?? kind.cacheDirectory(environment: environment)
        return .directory(chosen, hint: "run `\(kind.fetchCommand)`, or name the data with --data DIR or --train FILE --test FILE")
    }

    private func defaultDirectories(environment: [String: String]) -> [String] {
        [kind.systemDirectory, kind.cacheDirectory(environment: environment)].compactMap { $0 }
    }

    private func isComplete(_ directory: String) -> Bool {
        kind == .cifar10 || kind == .cifar100 ? CIFAR.Layout(in: directory) != nil
            : IDXFile.allCases.allSatisfy { $0.locate(in: directory) != nil }
    }

    private func loadIDX(images: String, labels: String, split: String) throws -> Dataset {
        let (pixels, count, rows, columns) = try IDX.images(mappedBytes(images), path: images)
        // An empty split would train on nothing and report figures of nothing.
        guard count > 0 else { throw DataError.noSamples(images) }
        let labelValues = try IDX.labels(mappedBytes(labels), path: labels)
        guard labelValues.count == count else {
            throw DataError.countMismatch(images: images, imageCount: count, labels: labels, labelCount: labelValues.count)
        }
        return Dataset(name: "\(idxKind.displayName) \(split)", images: pixels, labels: labelValues, rows: rows, columns: columns)
    }

    /// A `--train`/`--test` file: CSV, or one IDX file of a pair whose partner sits beside it.
    private func loadFile(_ path: String, split: String) throws -> (Dataset, [String], String) {
        let bytes = try mappedBytes(path)
        switch IDX.magic(bytes) {
        case IDX.imagesMagic?:
            let labels = try partner(of: path, swapping: [("images", "labels"), ("idx3", "idx1")])
            return (try loadIDX(images: path, labels: labels, split: split), [path, labels], "IDX")
        case IDX.labelsMagic?:
            let images = try partner(of: path, swapping: [("labels", "images"), ("idx1", "idx3")])
            return (try loadIDX(images: images, labels: path, split: split), [images, path], "IDX")
        default:
            // A damaged IDX magic must not be reported as a CSV syntax error: CSV starts with text.
            if !CSV.startsAsText(Array(bytes.prefix(4))) {
                throw DataError.unknownFormat(path, start: bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
            }
            guard bytes.count <= FileBytes.readLimit else { throw DataError.unreadable(path, reason: FileBytes.tooLarge(bytes.count).reason) }
            let (pixels, labels) = try CSV.parse(Array(bytes), path: path)
            return (Dataset(name: "\(idxKind.displayName) \(split)", images: pixels, labels: labels), [path], "CSV")
        }
    }

    /// The labels file for an images file (or the reverse): same folder, name with the words swapped, `.gz` or not.
    private func partner(of path: String, swapping pairs: [(String, String)]) throws -> String {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let hint = "an IDX file passed with --train or --test needs its partner beside it, named like "
            + "train-images-idx3-ubyte and train-labels-idx1-ubyte (.gz or not)"
        let swapped = pairs.reduce(name) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
        guard swapped != name else { throw DataError.invalidRequest("\(path): cannot tell its partner's name; \(hint)") }
        let base = url.deletingLastPathComponent().path + "/" + (swapped.hasSuffix(".gz") ? String(swapped.dropLast(3)) : swapped)
        guard let found = [base, base + ".gz"].first(where: entryExists) else {
            throw DataError.missingFile(base, hint: hint)
        }
        return found
    }
}

/// The file's bytes, inflated when gzip-compressed; `limit` bounds both the file and what it inflates to.
func readBytes(_ path: String, limit: Int = FileBytes.readLimit) throws -> [UInt8] {
    let bytes: [UInt8]
    do { bytes = try FileBytes.contents(of: path, limit: limit) } catch { throw dataError(path, error) }
    if bytes.isEmpty { throw DataError.emptyFile(path) }
    return Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, path: path, limit: limit, promised: IDX.promisedBytes) : bytes
}

/// The file's bytes as `readBytes` gives them, but a raw file is mapped rather than read (`MappedFile`): its pages
/// come in as they are used, so data larger than the host's memory can be trained on, and a raw file has no size
/// limit (its header must agree with its size exactly). A gzip file is inflated into memory under `limit`.
func mappedBytes(_ path: String, limit: Int = FileBytes.readLimit) throws -> DataBytes {
    let bytes: DataBytes
    do { bytes = DataBytes(try MappedFile(path: path)) } catch { throw dataError(path, error) }
    if bytes.isEmpty { throw DataError.emptyFile(path) }
    return Gzip.isCompressed(Array(bytes.prefix(2))) ? DataBytes(try readBytes(path, limit: limit)) : bytes
}

/// What a failure to open or read a data file means to the user.
private func dataError(_ path: String, _ failure: FileBytes.Failure) -> DataError {
    switch failure.code {
    case ENOENT: return .missingFile(path, hint: "check the path")
    case EISDIR: return .unreadable(path, reason: "it is a folder; --train and --test take files, --data takes a folder")
    default: return .unreadable(path, reason: failure.reason)
    }
}

/// Whether anything is at `path`, a dangling or looping symbolic link included, so that reading it reports
/// the real reason instead of "no such file".
func entryExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

/// `path` with the home folder shown as `~`, as users type it.
func abbreviated(_ path: String) -> String {
    let home = NSHomeDirectory()
    return path.hasPrefix(home + "/") ? "~" + path.dropFirst(home.count) : path
}

private func nonEmpty(_ value: String?) -> String? {
    value.flatMap { $0.isEmpty ? nil : $0 }
}
