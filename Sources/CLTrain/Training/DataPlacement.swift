/// How the OpenCL backend holds each dataset on the device: resident (uploaded once, as uint8) where the whole run
/// fits the device's memory, else streamed (`StreamedDataset`): chunks of whole steps copied in epoch order into
/// one of two buffers while the steps read the other. Streaming gives the same losses as resident training.
public struct DataPlacement: Equatable, Sendable {
    /// Samples per chunk of the training set, nil where it is resident.
    public var trainChunk: Int?
    /// Samples per chunk of the test set, nil where it is resident.
    public var testChunk: Int?

    public init(trainChunk: Int? = nil, testChunk: Int? = nil) {
        (self.trainChunk, self.testChunk) = (trainChunk, testChunk)
    }

    public static let resident = DataPlacement()

    public var streams: Bool { trainChunk != nil || testChunk != nil }

    /// The most pixels one chunk holds (16 MiB): an upload's fixed cost is nothing beside a copy this large, and the
    /// host's staging memory (two chunks, and two more on a CPU device, whose memory is the host's) stays small.
    static let chunkPixelLimit = 16 << 20

    /// The placement of `plan` on a device of `deviceBytes` (nil: not known, so resident) whose buffers hold at most
    /// `allocationBytes` each. Resident where the run's estimate fits and each dataset fits one buffer. Otherwise
    /// the training set streams, and the test set too unless it fits in half of what the model leaves; a stream's
    /// chunks are whole steps (batches; evaluation passes for the test set) sized to its share. Where even one step
    /// does not fit, the chunks are one step and the memory estimate refuses the run.
    public init(plan: TrainingPlan, train: Dataset, test: Dataset, deviceBytes: UInt64?, allocationBytes: UInt64) {
        let resident = MemoryEstimate(plan: plan, train: train, test: test, native: false)
        func fitsOneBuffer(_ dataset: Dataset) -> Bool { UInt64(dataset.images.count) <= allocationBytes }
        guard let deviceBytes, UInt64(resident.backendBytes) > deviceBytes || !fitsOneBuffer(train) || !fitsOneBuffer(test) else {
            self.init()
            return
        }
        let budget = max(Int(clamping: deviceBytes) - resident.parameterBytes - resident.activationBytes, 0)
        let evaluationRows = min(OpenCLBackend.evaluationChunk, max(test.count, 1))
        let testBytes = Self.deviceBytes(test, chunk: nil)
        if testBytes <= budget / 2 && fitsOneBuffer(test) {
            self.init(trainChunk: Self.chunk(train, bytes: budget - testBytes, step: plan.batchSize, allocationBytes: allocationBytes))
        } else {
            self.init(trainChunk: Self.chunk(train, bytes: budget / 2, step: plan.batchSize, allocationBytes: allocationBytes),
                      testChunk: Self.chunk(test, bytes: budget / 2, step: evaluationRows, allocationBytes: allocationBytes))
        }
    }

    /// The most samples, a multiple of `step` and at least one step, whose stream fits `bytes`, no more than the
    /// dataset needs and no chunk over `chunkPixelLimit` or one buffer.
    private static func chunk(_ dataset: Dataset, bytes: Int, step: Int, allocationBytes: UInt64) -> Int {
        let pixels = max(dataset.pixelsPerImage, 1)
        let rows = min(bytes / StreamedDataset.deviceBytes(chunkRows: 1, pixels: pixels), chunkPixelLimit / pixels,
                       Int(clamping: allocationBytes) / pixels)
        let whole = (dataset.count + step - 1) / step * step
        return max(min(rows / step * step, whole), step)
    }

    /// Device memory `dataset` takes with chunks of `chunk` samples (nil: resident, with its labels and order).
    static func deviceBytes(_ dataset: Dataset, chunk: Int?) -> Int {
        chunk.map { StreamedDataset.deviceBytes(chunkRows: $0, pixels: dataset.pixelsPerImage) } ?? dataset.images.count + 5 * dataset.count
    }

    /// Host memory the data of `dataset` takes: its labels; its pixels unless a mapped file streams them (the pages
    /// come and go, a chunk at a time); and for a stream, the staging memory of two chunks and the epoch's order.
    static func hostBytes(_ dataset: Dataset, chunk: Int?) -> Int {
        let pixels = chunk != nil && dataset.images.isMapped ? 0 : dataset.images.count
        let staging = chunk.map { 2 * $0 * (dataset.pixelsPerImage + 5) + 4 * dataset.count } ?? 0
        return dataset.count + pixels + staging
    }

    /// The largest buffer `dataset` needs: its images, or a chunk's.
    static func largestBuffer(_ dataset: Dataset, chunk: Int?) -> Int {
        chunk.map { $0 * dataset.pixelsPerImage } ?? dataset.images.count
    }

    /// "training set in chunks of 1344 samples (45 a pass), test set resident", for the run's header; nil where both
    /// are resident.
    public func summary(train: Dataset, test: Dataset) -> String? {
        guard streams else { return nil }
        func describe(_ name: String, _ dataset: Dataset, _ chunk: Int?) -> String {
            guard let chunk else { return "\(name) set resident" }
            let chunks = (dataset.count + chunk - 1) / max(chunk, 1)
            return "\(name) set in chunks of \(min(chunk, dataset.count)) samples (\(chunks) a pass)"
        }
        return describe("training", train, trainChunk) + ", " + describe("test", test, testChunk)
    }
}
