/// Images and labels of one split (training or test), as read from disk: pixels stay uint8
/// (47 MB for MNIST's training set) and are normalized where they are used, on the device. Raw IDX files and an
/// image folder's decode cache are mapped rather than read (`DataBytes`); labels are always in memory.
public struct Dataset: Sendable, Equatable {
    /// What the user sees in reports, e.g. "MNIST train".
    public let name: String
    /// `count` images of `channels × rows × columns` pixels, row-major, one after another.
    public let images: DataBytes
    /// One class index per image.
    public let labels: [UInt8]
    public let channels: Int
    public let rows: Int
    public let columns: Int
    /// Classes the data declares: the largest label plus one, unless the loader knows more (the other split).
    public let classes: Int

    public init(name: String, images: [UInt8], labels: [UInt8], channels: Int = 1, rows: Int = 28, columns: Int = 28,
                classes: Int? = nil) {
        self.init(name: name, images: DataBytes(images), labels: labels, channels: channels, rows: rows, columns: columns,
                  classes: classes)
    }

    public init(name: String, images: DataBytes, labels: [UInt8], channels: Int = 1, rows: Int = 28, columns: Int = 28,
                classes: Int? = nil) {
        precondition(images.count == labels.count * channels * rows * columns, "images and labels disagree")
        self.name = name
        self.images = images
        self.labels = labels
        self.channels = channels
        self.rows = rows
        self.columns = columns
        self.classes = max(classes ?? 0, Int(labels.max() ?? 0) + 1)
    }

    public var count: Int { labels.count }
    public var pixelsPerImage: Int { channels * rows * columns }
    /// One image as a model's input sees it.
    public var shape: Shape { .image(channels: channels, height: rows, width: columns) }

    /// Samples per class, index = class, over every class the data declares.
    public var labelCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }

    /// The same images with `classes` declared, for a split that lacks the other split's largest labels.
    public func declaring(classes: Int) -> Dataset {
        Dataset(name: name, images: images, labels: labels, channels: channels, rows: rows, columns: columns, classes: classes)
    }

    /// Samples `range` alone, with the classes this split declares.
    public func samples(_ range: Range<Int>) -> Dataset {
        Dataset(name: name, images: images.bytes((range.lowerBound * pixelsPerImage)..<(range.upperBound * pixelsPerImage)),
                labels: Array(labels[range]), channels: channels, rows: rows, columns: columns, classes: classes)
    }

    /// The pixels of image `index`.
    public func image(_ index: Int) -> Slice<DataBytes> {
        images[(index * pixelsPerImage)..<((index + 1) * pixelsPerImage)]
    }
}
