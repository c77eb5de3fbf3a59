import Foundation

/// CIFAR-10 and CIFAR-100 in their binary version: fixed-length records of a label byte (CIFAR-100: coarse then fine;
/// cltrain trains on the fine one) followed by 3×32×32 pixels, red plane, green plane, blue plane: the C×H×W layout
/// datasets use, so records are copied as they are. Class names come from the text file beside the batches.
enum CIFAR {
    static let side = 32
    static let pixels = 3 * side * side

    /// The files of one copy, in DIR itself or in the folder the archive unpacks to (`cifar-10-batches-bin`,
    /// `cifar-100-binary`) inside it.
    struct Layout {
        let kind: DatasetKind
        let directory: String
        let trainFiles: [String]
        let testFile: String
        let namesFile: String

        init?(in root: String) {
            for kind in [DatasetKind.cifar10, .cifar100] {
                for directory in [root, root + "/" + CIFAR.folder(kind)] {
                    if let layout = Layout(kind, in: directory) {
                        self = layout
                        return
                    }
                }
            }
            return nil
        }

        private init?(_ kind: DatasetKind, in directory: String) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let train = kind == .cifar10
                ? names.filter { $0.hasPrefix("data_batch_") && $0.hasSuffix(".bin") }
                    .sorted { Int($0.dropFirst(11).dropLast(4)) ?? 0 < Int($1.dropFirst(11).dropLast(4)) ?? 0 }
                : names.filter { $0 == "train.bin" }
            let test = kind == .cifar10 ? "test_batch.bin" : "test.bin"
            guard !train.isEmpty, names.contains(test) else { return nil }
            self.kind = kind
            self.directory = directory
            trainFiles = train.map { directory + "/" + $0 }
            testFile = directory + "/" + test
            namesFile = directory + "/" + (kind == .cifar10 ? "batches.meta.txt" : "fine_label_names.txt")
        }

        var classes: Int { kind == .cifar10 ? 10 : 100 }

        func load() throws -> LoadedData {
            var images: [UInt8] = [], labels: [UInt8] = []
            for file in trainFiles {
                let (fileImages, fileLabels) = try CIFAR.records(file, kind: kind)
                images += fileImages
                labels += fileLabels
            }
            let (testImages, testLabels) = try CIFAR.records(testFile, kind: kind)
            let train = Dataset(name: "\(kind.displayName) train", images: images, labels: labels, channels: 3, rows: side,
                                columns: side, classes: classes)
            let test = Dataset(name: "\(kind.displayName) test", images: testImages, labels: testLabels, channels: 3, rows: side,
                               columns: side, classes: classes)
            let names = (try? String(contentsOfFile: namesFile, encoding: .utf8))?
                .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return LoadedData(train: train, test: test, source: "\(abbreviated(directory)) (\(kind.displayName) binary)", kind: kind,
                              files: trainFiles + [testFile], classNames: names?.count == classes ? names : nil,
                              notes: names?.count == classes ? [] : ["\(namesFile): no \(classes) class names there; classes are numbered"])
        }
    }

    /// One batch file's images and (fine) labels, each checked.
    static func records(_ path: String, kind: DatasetKind) throws -> ([UInt8], [UInt8]) {
        let bytes = try readBytes(path)
        let labelBytes = kind == .cifar10 ? 1 : 2, record = labelBytes + pixels, classes = kind == .cifar10 ? 10 : 100
        guard bytes.count % record == 0 else {
            throw DataError.badRecords(path, bytes: bytes.count, recordBytes: record, dataset: kind.displayName)
        }
        let count = bytes.count / record
        var images = [UInt8](repeating: 0, count: count * pixels), labels = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            let start = index * record
            labels[index] = bytes[start + labelBytes - 1]
            guard Int(labels[index]) < classes else {
                throw DataError.labelOutOfRange(path, record: index, label: Int(labels[index]), classes: classes)
            }
            images[(index * pixels)..<((index + 1) * pixels)] = bytes[(start + labelBytes)..<(start + record)]
        }
        return (images, labels)
    }

    /// The folder the published archive unpacks to.
    static func folder(_ kind: DatasetKind) -> String { kind == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary" }
}
