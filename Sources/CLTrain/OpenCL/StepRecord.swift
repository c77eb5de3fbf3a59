import CLKit

/// A training step's values that change from one step to the next. The step's kernels read them from device memory
/// (`KernelLibrary.stepRecord`) rather than take them as arguments, so a step recorded once in a command buffer
/// replays for every batch: the host writes only this record (64 bytes) before each step, queued or replayed.
/// The layout is common.cl's `STEP_*` indices.
public struct StepRecord: Equatable, Sendable {
    /// The batch's first position in the epoch's order (gather, loss) and its number in the epoch (the loss's slot).
    public var offset = 0, slot = 0
    /// The 1-based number of the optimizer update (it keys dropout's masks) and the epoch (augmentation's draws).
    public var step = 0, epoch = 0
    /// The optimizer's factors for this update (`OptimizerKind.stepFactors`).
    public var factors = SIMD4<Float>()

    public init(offset: Int = 0, slot: Int = 0, step: Int = 0, epoch: Int = 0, factors: SIMD4<Float> = SIMD4()) {
        (self.offset, self.slot, self.step, self.epoch, self.factors) = (offset, slot, step, epoch, factors)
    }

    /// Words in the device's record.
    public static let wordCount = 16
    /// The words the batch's values take (`STEP_OFFSET` … `STEP_EPOCH`), and the optimizer's (`STEP_FACTORS`).
    static let batchWords = 0..<8, factorWords = 8..<12

    /// Writes the record's words in common.cl's layout.
    func store(into words: UnsafeMutableBufferPointer<UInt32>) {
        words[0] = UInt32(truncatingIfNeeded: offset)
        words[1] = UInt32(truncatingIfNeeded: slot)
        words[2] = UInt32(truncatingIfNeeded: step)
        words[3] = UInt32(truncatingIfNeeded: UInt64(step) >> 32)
        words[4] = UInt32(truncatingIfNeeded: epoch)
        for i in 0..<4 { words[Self.factorWords.lowerBound + i] = factors[i].bitPattern }
    }

    /// The record's words, for a blocking write (the checks').
    var words: [UInt32] {
        var words = [UInt32](repeating: 0, count: Self.wordCount)
        words.withUnsafeMutableBufferPointer { store(into: $0) }
        return words
    }
}

extension KernelLibrary {
    /// Writes `record` to the device's step record and waits: for the checks, which launch one kernel at a time.
    public func setStep(_ record: StepRecord) throws {
        try stepRecord.write(record.words)
    }
}

/// Host memory the step records are written to the device from without waiting: a write's memory must stay as it
/// is until the device has copied it, so records go round a ring. Before the host writes into one half of the ring
/// again, it waits for the write that began the other half, which the in-order queue ran after every earlier write
/// to this half: `capacity / 2` records earlier, so it has almost always finished.
final class StepRecordRing {
    private let context: Context
    private let storage: UnsafeMutableBufferPointer<UInt32>
    private let capacity: Int
    private var next = 0
    /// The event of the write that began the latest half.
    private var fence: Event?

    init(context: Context, capacity: Int = 512) {
        precondition(capacity >= 2, "a ring of two halves")
        self.context = context
        self.capacity = capacity
        storage = .allocate(capacity: capacity * StepRecord.wordCount)
        storage.initialize(repeating: 0)
    }

    deinit {
        // Writes still in flight read this memory.
        try? context.finish()
        storage.deallocate()
    }

    /// Queues the write of the words `range` of `record`'s layout into `buffer`.
    func write(_ record: StepRecord, range: Range<Int>, to buffer: Buffer<UInt32>) throws {
        let beginsHalf = next % (capacity / 2) == 0
        if beginsHalf { try fence?.wait() }
        let slot = storage.extracting((next * StepRecord.wordCount)..<((next + 1) * StepRecord.wordCount))
        record.store(into: slot)
        let source = UnsafeBufferPointer(rebasing: slot[range])
        if beginsHalf {
            fence = try buffer.writeAsync(source, at: range.lowerBound)
        } else {
            try buffer.write(source, at: range.lowerBound, blocking: false)
        }
        next = (next + 1) % capacity
    }
}
