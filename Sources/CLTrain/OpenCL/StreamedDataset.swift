import CLKit
import Dispatch

/// A dataset that does not fit on the device, streamed: the host copies each chunk of `chunkRows` samples, in the
/// epoch's order, into staging memory and a second queue uploads it into one of two device slots while the steps
/// read the other (double buffering). A step reads its chunk's rows in order (the identity order), so the gather
/// and the loss are the resident path's, and so are the losses. Nothing is allocated after `init`; the compute
/// queue waits for an upload (an event, not the host) only where a chunk begins.
///
/// Per epoch with chunks c0, c1, …: `beginEpoch` starts c0's upload into the free slot; the first step of chunk k
/// marks the other slot released once the commands queued so far (chunk k − 1's steps) have run, makes the compute
/// queue wait for chunk k's upload, and starts chunk k + 1's upload into the released slot, which waits for that mark.
final class StreamedDataset: DeviceDataset {
    let count: Int
    let chunkRows: Int
    private let dataset: Dataset
    private let context: Context
    private let transfers: TransferQueue
    /// 0, 1, …, chunkRows − 1: the order a chunk's rows are read in.
    private let identity: Buffer<Int32>
    private let slots: [Slot]
    /// The slot the steps read now.
    private var current = 0
    /// The order of the current epoch (the identity until the first).
    private var order: [Int32]
    /// Counts `beginEpoch` calls, so a slot filled in an earlier epoch's order is not taken for this one's.
    private var epoch = 0
    private var totals = StreamStatistics()

    /// One chunk's place on the device and its staging memory on the host.
    private final class Slot {
        let images: Buffer<UInt8>, labels: Buffer<UInt8>, samples: Buffer<Int32>
        let stagedImages: UnsafeMutableBufferPointer<UInt8>, stagedLabels: UnsafeMutableBufferPointer<UInt8>
        let stagedSamples: UnsafeMutableBufferPointer<Int32>
        /// The (epoch, chunk) it holds or is being filled with.
        var holds: (epoch: Int, chunk: Int)?
        /// The copies of its last fill, in queue order: the staging memory is busy until the last completes.
        var uploads: [Event] = []
        /// Whether their device time is in the totals.
        var accounted = true
        /// Completes once the compute queue has finished every command that read its previous chunk.
        var released: Event?

        init(context: Context, rows: Int, pixels: Int) throws {
            images = try Buffer(context: context, count: rows * pixels)
            labels = try Buffer(context: context, count: rows)
            samples = try Buffer(context: context, count: rows)
            stagedImages = .allocate(capacity: rows * pixels)
            stagedLabels = .allocate(capacity: rows)
            stagedSamples = .allocate(capacity: rows)
        }

        deinit {
            // A copy still in flight reads the staging memory: let it finish before freeing it.
            try? uploads.last?.wait()
            stagedImages.deallocate()
            stagedLabels.deallocate()
            stagedSamples.deallocate()
        }
    }

    /// Device memory a stream of chunks of `rows` samples of `pixels` holds: two slots of images, labels and sample
    /// indices, and the identity order. The host's staging memory is the same less the order.
    static func deviceBytes(chunkRows rows: Int, pixels: Int) -> Int { rows * (2 * (pixels + 5) + 4) }

    init(_ dataset: Dataset, chunkRows: Int, context: Context) throws {
        precondition(chunkRows > 0, "a chunk holds at least one sample")
        (self.dataset, self.context, count) = (dataset, context, dataset.count)
        // No larger than the dataset: a chunk past it would only hold stale rows.
        let rows = min(chunkRows, max(dataset.count, 1))
        self.chunkRows = rows
        transfers = try TransferQueue(context: context)
        identity = try Buffer(context: context, values: (0..<Int32(rows)).map { $0 })
        slots = try (0..<2).map { _ in try Slot(context: context, rows: rows, pixels: max(dataset.pixelsPerImage, 1)) }
        order = (0..<Int32(dataset.count)).map { $0 }
    }

    private var chunks: Int { (count + chunkRows - 1) / chunkRows }

    func beginEpoch(order: [Int32]) throws {
        precondition(order.count == count, "an epoch's order must cover the dataset")
        self.order = order
        epoch += 1
        // The first chunk uploads while the last epoch's work (its last steps, the evaluation) runs.
        if count > 0 { try fill(1 - current, chunk: 0) }
    }

    func rows(start: Int, count rows: Int) throws -> DeviceRows {
        let chunk = start / chunkRows
        precondition(rows > 0 && (start + rows - 1) / chunkRows == chunk && start + rows <= count, "a step's rows lie in one chunk")
        if slots[current].holds?.epoch != epoch || slots[current].holds?.chunk != chunk {
            let next = 1 - current
            // Filled ahead unless this is an evaluation's first chunk, or steps are taken out of order.
            if slots[next].holds?.epoch != epoch || slots[next].holds?.chunk != chunk { try fill(next, chunk: chunk) }
            slots[current].released = try context.marker()
            // The mark must reach the device before an upload that waits for it can start.
            try context.flush()
            current = next
            try context.wait(for: slots[current].uploads.last!)
            if chunk + 1 < chunks { try fill(1 - current, chunk: chunk + 1) }
        }
        totals.steps += 1
        let slot = slots[current]
        return DeviceRows(images: slot.images, labels: slot.labels, order: identity, samples: slot.samples,
                          offset: start - chunk * chunkRows)
    }

    /// Copies chunk `chunk` of the current order into slot `index`'s staging memory and queues its upload, which
    /// starts once the compute queue has released the slot.
    private func fill(_ index: Int, chunk: Int) throws {
        let slot = slots[index], pixels = dataset.pixelsPerImage
        try account(slot)
        let first = chunk * chunkRows, rows = min(chunkRows, count - first)
        let started = DispatchTime.now().uptimeNanoseconds
        for r in 0..<rows {
            let sample = Int(order[first + r])
            // Read, not touched through a mapping: the host holds the staging memory and little else (see `MappedFile`).
            try dataset.images.copy((sample * pixels)..<((sample + 1) * pixels), to: slot.stagedImages.baseAddress! + r * pixels)
            slot.stagedLabels[r] = dataset.labels[sample]
            slot.stagedSamples[r] = Int32(sample)
        }
        totals.hostSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
        slot.uploads = [
            try transfers.write(UnsafeBufferPointer(rebasing: slot.stagedImages[0..<(rows * pixels)]), to: slot.images, after: slot.released),
            try transfers.write(UnsafeBufferPointer(rebasing: slot.stagedLabels[0..<rows]), to: slot.labels, after: nil),
            try transfers.write(UnsafeBufferPointer(rebasing: slot.stagedSamples[0..<rows]), to: slot.samples, after: nil),
        ]
        try transfers.flush()
        slot.accounted = false
        slot.holds = (epoch, chunk)
        totals.chunks += 1
    }

    /// Waits for `slot`'s uploads (long finished where it is being refilled) and adds their device time to the totals.
    private func account(_ slot: Slot) throws {
        guard !slot.accounted else { return }
        for upload in slot.uploads { totals.transferSeconds += max(try upload.seconds(), 0) }
        slot.accounted = true
    }

    /// What streaming has cost so far, every upload queued included (this waits for them).
    func statistics() throws -> StreamStatistics {
        for slot in slots { try account(slot) }
        var totals = self.totals
        totals.chunkRows = chunkRows
        totals.chunksPerEpoch = chunks
        return totals
    }
}

/// What streaming a dataset cost: `bench` reports it per training step.
public struct StreamStatistics: Sendable, Equatable {
    /// Samples per chunk, and chunks in a pass over the dataset.
    public var chunkRows = 0, chunksPerEpoch = 0
    /// Chunks uploaded and steps served.
    public var chunks = 0, steps = 0
    /// Host time spent copying the chunks' samples into staging memory, out of the mapped or loaded images.
    public var hostSeconds = 0.0
    /// Device time of the uploads, from the transfer queue's profiling events.
    public var transferSeconds = 0.0
}
