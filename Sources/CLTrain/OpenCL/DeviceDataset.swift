import CLKit

/// One dataset on the device, as the gather and the loss read it: resident (`ResidentDataset`), or streamed a chunk
/// at a time where it does not fit (`StreamedDataset`); `DataPlacement` decides which.
protocol DeviceDataset: AnyObject {
    var count: Int { get }

    /// Starts an epoch that visits the samples in `order`, a permutation of their indices; until the first, the
    /// order is the identity (the test set's).
    func beginEpoch(order: [Int32]) throws

    /// Where rows `start ..< start + count` of the current order are, for commands queued from now on.
    func rows(start: Int, count: Int) throws -> DeviceRows
}

/// Where the rows of one step are on the device: row r is image `order[offset + r]` of `images` (and label of
/// `labels`), and `samples[offset + r]` is its index in the dataset, which keys its augmentation.
struct DeviceRows {
    let images: Buffer<UInt8>
    let labels: Buffer<UInt8>
    let order: Buffer<Int32>
    let samples: Buffer<Int32>
    let offset: Int
}

/// The dataset for `chunk` (samples per chunk, nil where it is resident; see `DataPlacement`).
func deviceDataset(_ dataset: Dataset, chunk: Int?, context: Context) throws -> any DeviceDataset {
    if let chunk { return try StreamedDataset(dataset, chunkRows: chunk, context: context) }
    return try ResidentDataset(dataset, context: context)
}

/// A dataset resident on the device: images and labels uploaded once as uint8, and the order in which to visit
/// them, the one upload of an epoch. The order is also each row's sample index.
final class ResidentDataset: DeviceDataset {
    let count: Int
    private let images: Buffer<UInt8>
    private let labels: Buffer<UInt8>
    private let order: Buffer<Int32>

    init(_ dataset: Dataset, context: Context) throws {
        count = dataset.count
        let images = try Buffer<UInt8>(context: context, count: max(dataset.images.count, 1))
        // In pieces, handing a mapped file's pages back after each (the device holds the copy): the host's share of the
        // file stays one piece, not all of it.
        let piece = DataPlacement.chunkPixelLimit
        try dataset.images.withUnsafeBufferPointer { pixels in
            for start in stride(from: 0, to: pixels.count, by: piece) {
                try images.write(UnsafeBufferPointer(rebasing: pixels[start..<min(start + piece, pixels.count)]), at: start)
                dataset.images.evictPages()
            }
        }
        self.images = images
        labels = try Buffer(context: context, values: dataset.labels.isEmpty ? [0] : dataset.labels)
        // The identity until an epoch writes its shuffled order; the test set keeps it.
        order = try Buffer(context: context, values: dataset.count == 0 ? [0] : (0..<Int32(dataset.count)).map { $0 })
    }

    func beginEpoch(order: [Int32]) throws {
        // Blocking: the host's array may change as soon as this returns, and it is one upload per epoch.
        try self.order.write(order)
    }

    func rows(start: Int, count: Int) throws -> DeviceRows {
        DeviceRows(images: images, labels: labels, order: order, samples: order, offset: start)
    }
}
