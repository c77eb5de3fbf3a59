import Foundation
import Testing
@testable import CLTrain

/// The error `load` throws for `request`, or nil when it succeeds.
private func loadError(_ request: DataRequest, environment: [String: String] = [:]) -> DataError? {
    do {
        _ = try request.load(environment: environment)
        return nil
    } catch let error as DataError {
        return error
    } catch {
        Issue.record("not a DataError: \(error)")
        return nil
    }
}

struct DataTests {
    let train = randomDataset("MNIST train", count: 5, seed: 1)
    let test = randomDataset("MNIST test", count: 3, seed: 2)

    // MARK: Round trips

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func idxFolderRoundTrip(gzip: Bool, dotted: Bool) throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test, gzip: gzip, dotted: dotted)
        let loaded = try DataRequest(directory: folder.path).load(environment: [:])
        #expect(loaded.train == train)
        #expect(loaded.test == test)
        #expect(loaded.files.count == 4)
        #expect(loaded.source == "\(folder.path) (IDX)")
    }

    @Test(arguments: [(true, "\n"), (false, "\n"), (true, "\r\n")])
    func csvRoundTrip(header: Bool, lineEnding: String) throws {
        let folder = try TemporaryFolder()
        let trainFile = try folder.write("train.csv", csv(train, header: header, lineEnding: lineEnding))
        let testFile = try folder.write("test.csv", csv(test, header: header, lineEnding: lineEnding))
        let loaded = try DataRequest(trainFile: trainFile, testFile: testFile).load(environment: [:])
        #expect(loaded.train == train)
        #expect(loaded.test == test)
        #expect(loaded.source.hasSuffix("(CSV)"))
    }

    @Test func gzippedCSVWithoutFinalNewline() throws {
        let folder = try TemporaryFolder()
        let text = csv(train, header: false)
        let trainFile = try folder.write("train.csv.gz", try gzipped(Array(text.dropLast().utf8)))
        let testFile = try folder.write("test.csv", csv(test, header: true))
        let loaded = try DataRequest(trainFile: trainFile, testFile: testFile).load(environment: [:])
        #expect(loaded.train == train)
    }

    /// An IDX file named with --train finds its partner beside it, whichever of the pair is named.
    @Test func idxFilesByName() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test, gzip: true)
        let loaded = try DataRequest(trainFile: folder.path + "/train-images-idx3-ubyte.gz",
                                     testFile: folder.path + "/t10k-labels-idx1-ubyte.gz").load(environment: [:])
        #expect(loaded.train == train)
        #expect(loaded.test == test)
        #expect(loaded.files.count == 4)
    }

    // MARK: Where data comes from

    @Test func environmentFolderComesBeforeCache() throws {
        let data = try TemporaryFolder(), cache = try TemporaryFolder()
        try data.writeIDX(train: train, test: test)
        let environment = ["CLTRAIN_DATA": data.path, "XDG_CACHE_HOME": cache.path]
        #expect(try DataRequest().load(environment: environment).source == "\(data.path) (IDX)")
        #expect(!DataRequest().wouldFetch(environment: environment))
    }

    @Test func cacheFollowsXDG() throws {
        let cache = try TemporaryFolder()
        let request = DataRequest(kind: .mnist)
        #expect(request.wouldFetch(environment: ["XDG_CACHE_HOME": cache.path]))
        #expect(!DataRequest(directory: cache.path).wouldFetch(environment: ["XDG_CACHE_HOME": cache.path]))

        try cache.writeIDX(train: train, test: test, under: "cltrain/mnist")
        #expect(!request.wouldFetch(environment: ["XDG_CACHE_HOME": cache.path]))
        #expect(try request.load(environment: ["XDG_CACHE_HOME": cache.path]).train == train)
        #expect(DatasetKind.fashion.cacheDirectory(environment: ["HOME": "/home/u"]) == "/home/u/.cache/cltrain/fashion")
    }

    @Test func missingCacheNamesFetchCommand() throws {
        let cache = try TemporaryFolder()
        let error = loadError(DataRequest(), environment: ["XDG_CACHE_HOME": cache.path])
        guard case .missingFile(let path, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == cache.path + "/cltrain/mnist/train-images-idx3-ubyte")
        #expect(error!.description.contains("`cltrain fetch`"))
    }

    @Test func trainWithoutTestIsRejected() {
        #expect(loadError(DataRequest(trainFile: "a.csv")) == .invalidRequest("--train needs --test too"))
        #expect(loadError(DataRequest(directory: "/d", testFile: "b.csv"))
            == .invalidRequest("--data excludes --train and --test; name a folder or two files"))
    }

    // MARK: Bad input: each error names the file at fault

    @Test func missingFileInFolder() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        try FileManager.default.removeItem(atPath: folder.path + "/t10k-labels-idx1-ubyte")
        let error = loadError(DataRequest(directory: folder.path))
        guard case .missingFile(let path, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == folder.path + "/t10k-labels-idx1-ubyte")
        #expect(error!.description.contains("cltrain fetch"))
    }

    @Test func wrongMagic() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        let labels = try folder.write("train-labels-idx1-ubyte", IDX.encodeImages(train))
        #expect(loadError(DataRequest(directory: folder.path)) == .badMagic(labels, found: IDX.imagesMagic, expected: IDX.labelsMagic))
    }

    @Test func truncatedImages() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        let images = try folder.write("train-images-idx3-ubyte", Array(IDX.encodeImages(train).dropLast(100)))
        #expect(loadError(DataRequest(directory: folder.path))
            == .truncated(images, expectedBytes: 16 + 5 * 784, actualBytes: 16 + 5 * 784 - 100))
    }

    @Test func truncatedHeader() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        let labels = try folder.write("t10k-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0])
        #expect(loadError(DataRequest(directory: folder.path)) == .truncated(labels, expectedBytes: 8, actualBytes: 6))
    }

    @Test func trailingBytes() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        let labels = try folder.write("t10k-labels-idx1-ubyte", IDX.encodeLabels(test) + [7])
        #expect(loadError(DataRequest(directory: folder.path)) == .trailingBytes(labels, expectedBytes: 11, actualBytes: 12))
    }

    @Test func countsDisagree() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        let labels = try folder.write("train-labels-idx1-ubyte", IDX.encodeLabels(test))
        let error = loadError(DataRequest(directory: folder.path))
        #expect(error == .countMismatch(images: folder.path + "/train-images-idx3-ubyte", imageCount: 5, labels: labels, labelCount: 3))
        #expect(error?.description.contains(labels) == true)
    }

    /// The data declares its shape: 5 images of 27×28 train a model of 27×28 inputs, if both splits agree.
    @Test func imagesOfAnotherSizeDeclareTheirShape() throws {
        let folder = try TemporaryFolder()
        let odd = Dataset(name: "train", images: (0..<(5 * 27 * 28)).map { UInt8($0 % 251) }, labels: [0, 1, 2, 1, 0], rows: 27, columns: 28)
        let oddTest = Dataset(name: "test", images: [UInt8](repeating: 7, count: 2 * 27 * 28), labels: [1, 1], rows: 27, columns: 28)
        try folder.writeIDX(train: odd, test: oddTest)
        let loaded = try DataRequest(directory: folder.path).load()
        #expect(loaded.train.shape == .image(channels: 1, height: 27, width: 28) && loaded.test.shape == loaded.train.shape)
        #expect(loaded.train.images == odd.images && loaded.train.classes == 3 && loaded.test.classes == 3)

        // A test split of another size cannot be scored by a model of the training split's.
        try folder.write("t10k-images-idx3-ubyte", IDX.encodeImages(test))
        try folder.write("t10k-labels-idx1-ubyte", IDX.encodeLabels(test))
        #expect(loadError(DataRequest(directory: folder.path)) == .shapeMismatch(
            train: folder.path + "/train-images-idx3-ubyte", trainShape: "1×27×28", test: folder.path + "/t10k-images-idx3-ubyte",
            testShape: "1×28×28"))
    }

    @Test func imageSidesAreBounded() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        // 5 images of 0×28 and of 5000×1: the header is consistent with the payload, the sizes are not usable.
        for (rows, columns) in [(0, 28), (5000, 1)] {
            let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 5, 0, 0, UInt8(rows >> 8), UInt8(rows & 255), 0, 0, 0, UInt8(columns)]
            let images = try folder.write("train-images-idx3-ubyte", header + [UInt8](repeating: 0, count: 5 * rows * columns))
            #expect(loadError(DataRequest(directory: folder.path)) == .imageSize(images, rows: rows, columns: columns))
        }
    }

    /// Classes are the largest label plus one, over both splits: EMNIST's 62 work as MNIST's 10 do.
    @Test func classesComeFromTheLabels() throws {
        let folder = try TemporaryFolder()
        var rows = csv(train, header: true).split(separator: "\n").map(String.init)
        rows[2] = "61" + rows[2].drop { $0 != "," }
        let trainFile = try folder.write("train.csv", rows.joined(separator: "\n"))
        let testFile = try folder.write("test.csv", csv(test, header: false))
        let loaded = try DataRequest(trainFile: trainFile, testFile: testFile).load()
        #expect(loaded.train.classes == 62 && loaded.test.classes == 62)
        #expect(loaded.kind.classNames(count: loaded.train.classes) == (0..<62).map(String.init))
        // `cltrain data` counts every class the data declares, not only the dataset kind's ten.
        let counts = loaded.train.labelCounts
        #expect(counts.count == 62 && counts[61] == 1 && counts.reduce(0, +) == loaded.train.count)
        #expect(loaded.report().contains("label counts 0–61") && DataJSONReport(loaded).splits[0].labelCounts == counts)
    }

    /// Ways to spoil one CSV row, each with the reason the parser gives.
    enum RowDamage: CaseIterable, Sendable {
        case shortRow, longRow, pixelAbove255, emptyField, notANumber

        func apply(_ values: inout [String]) {
            switch self {
            case .shortRow: values.removeLast()
            case .longRow: values.append("0")
            case .pixelAbove255: values[1] = "256"
            case .emptyField: values[1] = ""
            case .notANumber: values[5] = "1x"
            }
        }

        var reason: String {
            switch self {
            case .shortRow: return "the row has 784 values, not 785"
            case .longRow: return "the row has more than 785 values"
            case .pixelAbove255: return "value 2 is above 255"
            case .emptyField: return "value 2 is not a number"
            case .notANumber: return "unexpected character after value 6"
            }
        }
    }

    /// Each bad row is reported with its line number (counting the header as line 1).
    @Test(arguments: RowDamage.allCases)
    func malformedCSVRow(_ damage: RowDamage) throws {
        let folder = try TemporaryFolder()
        var rows = csv(train, header: true).split(separator: "\n").map(String.init)
        var values = rows[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        damage.apply(&values)
        rows[3] = values.joined(separator: ",")
        let trainFile = try folder.write("train.csv", rows.joined(separator: "\n") + "\n")
        let testFile = try folder.write("test.csv", csv(test, header: false))
        let error = loadError(DataRequest(trainFile: trainFile, testFile: testFile))
        #expect(error == .malformedCSV(trainFile, line: 4, reason: damage.reason))
        #expect(error?.description.hasPrefix(trainFile + ": line 4:") == true)
    }

    @Test func csvWithOnlyAHeader() throws {
        let folder = try TemporaryFolder()
        let trainFile = try folder.write("train.csv", "label,1x1\n")
        let testFile = try folder.write("test.csv", csv(test, header: false))
        #expect(loadError(DataRequest(trainFile: trainFile, testFile: testFile)) == .malformedCSV(trainFile, line: 2, reason: "no data rows"))
    }

    @Test func corruptedGzip() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test, gzip: true)
        var bytes = try gzipped(IDX.encodeImages(train))
        for i in 20..<40 { bytes[i] ^= 0x5a }
        let images = try folder.write("train-images-idx3-ubyte.gz", bytes)
        let error = loadError(DataRequest(directory: folder.path))
        guard case .corruptGzip(let path, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == images)
    }

    @Test func truncatedGzip() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test, gzip: true)
        let bytes = try gzipped(IDX.encodeImages(test))
        let images = try folder.write("t10k-images-idx3-ubyte.gz", Array(bytes.prefix(bytes.count / 2)))
        #expect(loadError(DataRequest(directory: folder.path))
            == .corruptGzip(images, reason: "the stream ends early; the file is truncated"))
    }

    @Test func folderGivenAsFile() throws {
        let folder = try TemporaryFolder()
        let testFile = try folder.write("test.csv", csv(test, header: false))
        let error = loadError(DataRequest(trainFile: folder.path, testFile: testFile))
        guard case .unreadable(let path, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == folder.path)
    }

    @Test func splitWithoutImages() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: Dataset(name: "empty", images: [], labels: []))
        let error = loadError(DataRequest(directory: folder.path))
        #expect(error == .noSamples(folder.path + "/t10k-images-idx3-ubyte"))
    }

    @Test func emptyFile() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        let images = try folder.write("t10k-images-idx3-ubyte", [UInt8]())
        let error = loadError(DataRequest(directory: folder.path))
        #expect(error == .emptyFile(images))
        #expect(error?.description.contains("\n") == false)
    }

    // MARK: Report and checksums

    @Test func reportShowsHistogramAndChecksumVerdict() throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: train, test: test)
        let loaded = try DataRequest(directory: folder.path).load(environment: [:])
        var counts = [Int](repeating: 0, count: 10)
        for label in train.labels { counts[Int(label)] += 1 }
        let report = loaded.report()
        #expect(report.contains("train        5  28×28  " + counts.map(String.init).joined(separator: " ")))
        #expect(report.contains("checksums: 4 of 4 differ from the published MNIST files"))
        #expect(loaded.checksums().map(\.md5) == [IDX.encodeImages(train), IDX.encodeLabels(train),
                                                   IDX.encodeImages(test), IDX.encodeLabels(test)].map(MD5.hex))
    }

    // MARK: The real MNIST, where `cltrain fetch` has put it

    static let cachedMNIST = IDXFile.allCases.allSatisfy { $0.locate(in: DatasetKind.mnist.cacheDirectory()) != nil }

    @Test(.enabled(if: cachedMNIST, "MNIST is not in the user cache; run `cltrain fetch`"))
    func realMNIST() throws {
        let loaded = try DataRequest(kind: .mnist, directory: DatasetKind.mnist.cacheDirectory()).load()
        #expect(loaded.train.count == 60_000)
        #expect(loaded.test.count == 10_000)
        var counts = [Int](repeating: 0, count: 10)
        for label in loaded.train.labels { counts[Int(label)] += 1 }
        #expect(counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        #expect(loaded.checksums().allSatisfy { $0.matches })
    }
}
