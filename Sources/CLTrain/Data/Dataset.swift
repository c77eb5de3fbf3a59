/// Images and labels of one split (training or test), as read from disk: pixels stay uint8
/// (47 MB for MNIST's training set) and are normalized where they are used, on the device.
public struct Dataset: Sendable, Equatable {
    /// What the user sees in reports, e.g. "MNIST train".
    public let name: String
    /// `count` images of `rows × columns` pixels, row-major, one after another.
    public let images: [UInt8]
    /// One class index (0–9) per image.
    public let labels: [UInt8]
    public let rows: Int
    public let columns: Int

    public init(name: String, images: [UInt8], labels: [UInt8], rows: Int = 28, columns: Int = 28) {
        precondition(images.count == labels.count * rows * columns, "images and labels disagree")
        self.name = name
        self.images = images
        self.labels = labels
        self.rows = rows
        self.columns = columns
    }

    public var count: Int { labels.count }
    public var pixelsPerImage: Int { rows * columns }

    /// The pixels of image `index`.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        images[(index * pixelsPerImage)..<((index + 1) * pixelsPerImage)]
    }
}

/// Inputs are scaled to [0, 1], then shifted and scaled: `(x / 255 − mean) / std`.
public struct Normalization: Codable, Equatable, Sendable {
    public var mean: Float
    public var std: Float

    public init(mean: Float, std: Float) {
        self.mean = mean
        self.std = std
    }

    /// The lesson's `transforms.Normalize((0.5,), (0.5,))`, which maps pixels to [−1, 1].
    public static let lesson = Normalization(mean: 0.5, std: 0.5)

    public func apply(_ pixel: UInt8) -> Float { (Float(pixel) / 255 - mean) / std }
}
