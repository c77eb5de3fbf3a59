import CLKit

/// Trains on an OpenCL device. The datasets are uploaded once as uint8 and an epoch uploads only its shuffled
/// order, or, where they do not fit, they stream in chunks (`DeviceDataset`); each step is its step record
/// (`StepRecord`) and a fixed sequence of kernel launches on buffers allocated here, queued or replayed
/// (`StepPath`), so the host waits for the device inside an epoch only when the training loop asks for losses (and,
/// every 256 steps, for a record write 256 steps old: `StepRecordRing`).
public final class OpenCLBackend: ReplicaBackend {
    public let library: KernelLibrary
    public let model: Model
    public let optimizer: OptimizerConfig
    /// The training loss; evaluation reports the plain cross-entropy.
    public let loss: LossConfig
    private let optimizerRule: any OptimizerKind.Type, lossRule: any LossKind.Type
    /// The optimizer's state buffers in `stateNames` order, as its launcher takes them.
    private let stateBuffers: [Buffer<Float>]
    public let normalization: Normalization
    /// `normalization.table(channels:)` on the device, for the gather.
    private let normalizationTable: Buffer<Float>
    private let channels: Int
    public let augmentation: Augmentation
    /// The current epoch, which keys the augmentation's draws.
    private var epoch = 0
    public let batchSize: Int
    public let seed: UInt64
    public var description: String { Self.description(context.device) }
    static func description(_ device: Device) -> String { "OpenCL \(device.name) (\(device.platformName))" }

    private var context: Context { library.context }
    /// How the datasets are held on the device.
    public let placement: DataPlacement
    private let train: any DeviceDataset
    private let test: any DeviceDataset
    private let layout: DeviceLayout, bufferLayout: DeviceLayout
    private let parameters: Buffer<Float>
    /// The layers' buffers (running statistics), one flat vector laid out by `bufferLayout`.
    private let buffers: Buffer<Float>
    private let gradients: Buffer<Float>
    /// Optimizer state vectors by name (see `OptimizerConfig.stateNames`), laid out as `parameters`.
    private let state: [String: Buffer<Float>]
    private var step = 0
    /// The model's stages, their activations (for up to `evaluationRows` rows: training and evaluation share them,
    /// the queue runs one at a time) and deltas.
    private let stages: OpenCLStages
    /// The parameter, gradient and buffer tensors, as views into the flat buffers the update sweeps.
    private let parameterViews: [Buffer<Float>], gradientViews: [Buffer<Float>], bufferViews: [Buffer<Float>]
    /// The gathered input batch.
    private let batchInput: Buffer<Float>
    /// The mean loss of each batch of the current epoch, in batch order.
    private let losses: Buffer<Float>
    /// Host memory the losses are copied into while the device goes on with later steps.
    private let stagedLosses: UnsafeMutableBufferPointer<Float>
    /// Host memory the gradients and the layers' buffers pass through when this backend is one replica of several
    /// (`ReplicaBackend`), in the device's padded layouts: `layout.count` gradients, `bufferLayout.count` buffers, a loss.
    private let stagedExchange: UnsafeMutableBufferPointer<Float>
    private var pendingLosses: (count: Int, event: Event)?
    /// Host memory the step records (`KernelLibrary.stepRecord`) are written from, before each step's launches.
    private let records: StepRecordRing
    /// How each training step reaches the device (`use(_:)`).
    public private(set) var stepPath = StepPath.queue
    /// On the replay path, the step recorded for each number of rows a step has had (the batch, an epoch's last).
    private var replays: [Int: CommandBuffer] = [:]
    /// Rows evaluated per launch sequence over the test set: `evaluationChunk`, or the whole test set if smaller.
    private let evaluationRows: Int
    /// The most test rows one evaluation pass covers.
    static let evaluationChunk = 1024
    private let evaluationLogProbabilities: Buffer<Float>
    private let evaluationLosses: Buffer<Float>
    private let predictions: Buffer<Int32>
    private let predictionChunks: [Buffer<Int32>]

    /// - Parameters:
    ///   - placement: resident, or the chunks the datasets stream in (`ComputeDevice.checkMemory` chooses).
    ///   - allocationLimit: the largest buffer allowed, in bytes; the device's own limit unless a test
    ///     injects a smaller one.
    ///   - stepPath: how each training step reaches the device (`use(_:)`).
    public init(library: KernelLibrary, plan: TrainingPlan, train: Dataset, test: Dataset,
                placement: DataPlacement = .resident, allocationLimit: UInt64? = nil, stepPath: StepPath = .queue) throws {
        self.library = library
        let model = plan.model, batchSize = plan.batchSize
        self.model = model
        optimizer = plan.optimizer
        loss = plan.loss
        normalization = plan.normalization
        augmentation = plan.augmentation
        self.batchSize = batchSize
        seed = plan.seed
        let context = library.context
        let evaluationRows = min(Self.evaluationChunk, max(test.count, 1))
        self.evaluationRows = evaluationRows
        let rows = passRows(batchSize: batchSize, testCount: test.count, native: false)
        // Fail with the options to change rather than with CL_INVALID_BUFFER_SIZE from the first oversized buffer.
        let largest = [DataPlacement.largestBuffer(train, chunk: placement.trainChunk),
                       DataPlacement.largestBuffer(test, chunk: placement.testChunk), 4 * model.parameterCount,
                       4 * rows * model.activationSizes.max()!].max()!
        let limit = allocationLimit ?? context.device.maxAllocationBytes
        guard UInt64(largest) <= limit else {
            throw OpenCLBackendError.bufferTooLarge(bytes: largest, limit: limit, device: context.device)
        }
        channels = model.input.image?.channels ?? 1
        normalizationTable = try Buffer(context: context, values: plan.normalization.table(channels: channels))
        self.placement = placement
        self.train = try deviceDataset(train, chunk: placement.trainChunk, context: context)
        self.test = try deviceDataset(test, chunk: placement.testChunk, context: context)

        let alignment = context.device.baseAddressAlignmentBytes
        let layout = DeviceLayout(slots: model.tensors, hostCount: model.parameterCount, alignmentBytes: alignment)
        self.layout = layout
        bufferLayout = DeviceLayout(slots: model.buffers, hostCount: model.bufferCount, alignmentBytes: alignment)
        let parameters = try Buffer<Float>(context: context, count: layout.count)
        let gradients = try Buffer<Float>(context: context, count: layout.count)
        try parameters.fill(0)
        try gradients.fill(0)  // the padding between tensors stays zero, so updating it is harmless
        self.parameters = parameters
        self.gradients = gradients
        let buffers = try Buffer<Float>(context: context, values: bufferLayout.pad(model.initialBuffers))
        self.buffers = buffers
        var state: [String: Buffer<Float>] = [:]
        for name in optimizer.stateNames { state[name] = try Buffer(context: context, count: layout.count) }
        self.state = state
        stateBuffers = optimizer.stateNames.map { state[$0]! }
        (optimizerRule, lossRule) = (plan.optimizer.rule, plan.loss.rule)
        // Every tensor is a view into the one parameter (or gradient) buffer that the update kernel sweeps.
        parameterViews = try layout.views(parameters, model.tensors.indices)
        gradientViews = try layout.views(gradients, model.tensors.indices)
        bufferViews = try bufferLayout.views(buffers, model.buffers.indices)
        stages = try OpenCLStages(model.plan, library: library, batch: batchSize, rows: rows, outputDelta: true)
        batchInput = try Buffer(context: context, count: rows * model.input.count)
        let batches = (train.count + batchSize - 1) / batchSize
        losses = try Buffer(context: context, count: max(batches, 1))
        stagedLosses = .allocate(capacity: max(batches, 1))
        // Zeroed: the padding between tensors goes back to the device as the zeros it holds there.
        stagedExchange = .allocateZeroed(layout.count + bufferLayout.count + 1)
        records = StepRecordRing(context: context)

        evaluationLogProbabilities = try Buffer(context: context, count: evaluationRows * model.classes)
        let chunks = (test.count + evaluationRows - 1) / evaluationRows
        evaluationLosses = try Buffer(context: context, count: max(chunks, 1))
        // Each chunk's predictions land in their place through a view, so the test set's predictions come
        // back in one read. Chunks of 1024 int32 (4 KiB) meet any device's sub-buffer alignment.
        let predictions = try Buffer<Int32>(context: context, count: max(test.count, 1))
        self.predictions = predictions
        predictionChunks = try (0..<chunks).map { chunk in
            let offset = chunk * evaluationRows
            return try Buffer(predictions, offset: offset, count: min(evaluationRows, test.count - offset))
        }
        try use(stepPath)
        try context.finish()
    }

    deinit {
        // A copy still in flight reads or writes the staging memory: let the queue finish before freeing it.
        try? pendingLosses?.event.wait()
        try? library.context.finish()
        stagedLosses.deallocate()
        stagedExchange.deallocate()
    }

    public func load(_ parameters: Parameters, _ state: OptimizerState) throws {
        precondition(parameters.model == model, "parameters of another model")
        try self.parameters.write(layout.pad(parameters.values))
        try buffers.write(bufferLayout.pad(parameters.buffers))
        for (name, buffer) in self.state {
            try buffer.write(layout.pad(state.buffers[name] ?? [Float](repeating: 0, count: model.parameterCount)))
        }
        step = state.step
    }

    public func snapshot() throws -> (Parameters, OptimizerState) {
        let values = layout.unpad(try parameters.read())
        var buffers: [String: [Float]] = [:]
        for (name, buffer) in state { buffers[name] = layout.unpad(try buffer.read()) }
        return (Parameters(model: model, values: values, buffers: bufferLayout.unpad(try self.buffers.read())),
                OptimizerState(step: step, buffers: buffers))
    }

    public func beginEpoch(_ epoch: Int, order: [Int32]) throws {
        precondition(order.count == train.count, "an epoch's order must cover the training set")
        self.epoch = epoch
        try train.beginEpoch(order: order)
    }

    /// What streaming the training set has cost so far; nil where it is resident.
    public func streamStatistics() throws -> StreamStatistics? {
        try (train as? StreamedDataset)?.statistics()
    }

    /// Trains from now on through `path`. The replay path needs command buffers (`cl_khr_command_buffer`) and the
    /// training set resident: a recorded step reads the same buffers every time.
    public func use(_ path: StepPath) throws {
        if path == .replay {
            guard context.device.offersCommandBuffers else {
                throw OpenCLBackendError.noReplay("\(context.device.name) has no cl_khr_command_buffer")
            }
            guard placement.trainChunk == nil else {
                throw OpenCLBackendError.noReplay("the training set streams to \(context.device.name) in chunks")
            }
        }
        stepPath = path
    }

    /// The commands of the step recorded for `rows` rows, once a replayed step of that size has run.
    public func recordedCommands(rows: Int) -> Int? { replays[rows]?.commands }

    /// One step: its record written whole, then its launches, queued one by one or replayed.
    public func trainStep(batch: Int, start: Int, count: Int, learningRate: Float) throws {
        precondition(count >= 0 && count <= batchSize && start + count <= train.count)
        step += 1
        let data = count > 0 ? try train.rows(start: start, count: count) : nil
        var whole = record(batch: batch, offset: data?.offset ?? 0)
        whole.factors = factors(learningRate: learningRate)
        try records.write(whole, range: 0..<StepRecord.wordCount, to: library.stepRecord)
        guard let data else { return try queueUpdate() }
        if stepPath == .replay {
            try replay(rows: count, data: data)
        } else {
            try queueGradients(rows: count, data: data)
            try queueUpdate()
        }
    }

    /// Enqueues the step recorded for `rows` rows as one command; the first step of that size records it. Every
    /// value that differs between steps is in the step record, written before.
    private func replay(rows: Int, data: DeviceRows) throws {
        if replays[rows] == nil {
            replays[rows] = try context.record {
                try queueGradients(rows: rows, data: data)
                try queueUpdate()
            }
        }
        try replays[rows]!.enqueue()
    }

    public func computeGradients(batch: Int, start: Int, count: Int) throws {
        precondition(count >= 0 && count <= batchSize && start + count <= train.count)
        step += 1
        guard count > 0 else { return }
        let data = try train.rows(start: start, count: count)
        try records.write(record(batch: batch, offset: data.offset), range: StepRecord.batchWords, to: library.stepRecord)
        try queueGradients(rows: count, data: data)
    }

    public func applyUpdate(learningRate: Float) throws {
        try records.write(StepRecord(factors: factors(learningRate: learningRate)),
                          range: StepRecord.factorWords, to: library.stepRecord)
        try queueUpdate()
    }

    /// The batch's part of this step's record (`step`): batch `batch` of the epoch, whose rows start at `offset` in
    /// the order; the optimizer's factors are the update's (`factors`).
    private func record(batch: Int, offset: Int) -> StepRecord {
        StepRecord(offset: offset, slot: batch, step: step, epoch: epoch)
    }

    /// The optimizer's factors for this step (`step`) at `learningRate`.
    private func factors(learningRate: Float) -> SIMD4<Float> {
        optimizerRule.stepFactors(step: step, learningRate: learningRate, settings: optimizer)
    }

    /// The gather, forward pass, loss and backward pass of a step whose record is written.
    private func queueGradients(rows count: Int, data: DeviceRows) throws {
        let pass = Pass.training(seed: seed, step: step)
        library.annotate("\(count)×\(model.input.count)", bytes: Double(count * model.input.count * 5))
        if let shape = model.input.image, !augmentation.isNone {
            try library.gatherAugment(images: data.images, order: data.order, samples: data.samples, rows: count,
                                      shape: shape, normalization: normalizationTable, augmentation: augmentation, seed: seed,
                                      x: batchInput)
        } else {
            try library.gatherNormalize(images: data.images, order: data.order, rows: count,
                                        features: model.input.count, channels: channels, normalization: normalizationTable,
                                        x: batchInput)
        }
        let logits = try forward(rows: count, pass: pass), dz = stages.outputDelta!
        library.annotate("\(count)×\(model.classes)", bytes: Double(count * model.classes * 8))
        try lossRule.launch(library, rows: count, classes: model.classes, z: logits, labels: data.labels,
                             order: data.order, losses: losses, dz: dz, settings: loss)
        try stages.backward(input: batchInput, dy: dz, dx: nil, rows: count, parameters: parameterViews, gradients: gradientViews,
                            pass: pass)
    }

    /// The optimizer's launch, with the factors in the step record.
    private func queueUpdate() throws {
        library.annotate("\(layout.count)", bytes: Double(layout.count * 4 * (2 + 2 * optimizer.stateNames.count)))
        try optimizerRule.launch(library, count: layout.count, parameters: parameters, gradients: gradients,
                                 state: stateBuffers, settings: optimizer)
    }

    public func accumulate(into sum: UnsafeMutableBufferPointer<Float>, weight: Float, batch: Int) throws {
        let (gradientPart, bufferPart, lossPart) = exchangeParts
        // A model without buffers (no batch norm) has none to read.
        let events = [try gradients.readAsync(into: gradientPart, count: layout.count),
                      try losses.readAsync(into: lossPart, count: 1, from: batch)]
            + (bufferLayout.count == 0 ? [] : [try buffers.readAsync(into: bufferPart, count: bufferLayout.count)])
        for event in events { try event.wait() }
        layout.accumulate(UnsafeBufferPointer(gradientPart), into: sum.extracting(model.exchangedGradients), weight: weight)
        bufferLayout.accumulate(UnsafeBufferPointer(bufferPart), into: sum.extracting(model.exchangedBuffers), weight: weight)
        sum[model.exchangedLoss] += weight * lossPart[0]
    }

    public func assign(from sum: UnsafeBufferPointer<Float>, batch: Int) throws {
        let (gradientPart, bufferPart, lossPart) = exchangeParts
        layout.place(sum.extracting(model.exchangedGradients), into: gradientPart)
        bufferLayout.place(sum.extracting(model.exchangedBuffers), into: bufferPart)
        lossPart[0] = sum[model.exchangedLoss]
        // The writes need not be waited for: the queue is in order, so they have read the staging memory before the
        // next step's reads (queued after them) fill it again, and the host touches it only after those reads.
        try gradients.write(UnsafeBufferPointer(gradientPart), blocking: false)
        try buffers.write(UnsafeBufferPointer(bufferPart), blocking: false)
        try losses.write(UnsafeBufferPointer(lossPart), at: batch, blocking: false)
    }

    /// `stagedExchange` as the gradients, the buffers and one loss.
    private var exchangeParts: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) {
        let buffersEnd = layout.count + bufferLayout.count
        return (stagedExchange.extracting(..<layout.count), stagedExchange.extracting(layout.count..<buffersEnd),
                stagedExchange.extracting(buffersEnd...))
    }

    /// Queues the forward pass over the gathered batch; returns the logits' buffer.
    private func forward(rows: Int, pass: Pass) throws -> Buffer<Float> {
        try stages.forward(batchInput, rows: rows, parameters: parameterViews, buffers: bufferViews, pass: pass)
    }

    public func requestLosses(count: Int) throws {
        // One copy in flight at a time: the staging memory is reused.
        if let pending = pendingLosses { try pending.event.wait() }
        pendingLosses = count == 0 ? nil : (count, try losses.readAsync(into: stagedLosses, count: count))
    }

    public func receiveLosses() throws -> [Float] {
        guard let (count, event) = pendingLosses else { return [] }
        try event.wait()
        pendingLosses = nil
        return Array(stagedLosses[0..<count])
    }

    public func evaluate() throws -> Evaluation {
        let classes = model.classes
        var chunkRows: [Int] = []
        for (chunk, output) in predictionChunks.enumerated() {
            let start = chunk * evaluationRows, rows = output.count, data = try test.rows(start: start, count: rows)
            chunkRows.append(rows)
            // The gather reads the chunk's offset from the record; the evaluation's loss and accuracy kernels take theirs
            // as arguments, never being recorded.
            try records.write(StepRecord(offset: data.offset), range: StepRecord.batchWords, to: library.stepRecord)
            try library.gatherNormalize(images: data.images, order: data.order, rows: rows,
                                        features: model.input.count, channels: channels, normalization: normalizationTable,
                                        x: batchInput)
            let logits = try forward(rows: rows, pass: .evaluation)
            try library.logSoftmaxForward(rows: rows, classes: classes, z: logits, logp: evaluationLogProbabilities)
            try library.nllLoss(rows: rows, classes: classes, logp: evaluationLogProbabilities, labels: data.labels,
                                order: data.order, offset: data.offset, losses: evaluationLosses, slot: chunk)
            try library.argmax(rows: rows, classes: classes, z: evaluationLogProbabilities, predictions: output)
        }
        let chunkLosses = try evaluationLosses.read(count: chunkRows.count)
        let predicted = try predictions.read(count: test.count)
        let total = zip(chunkLosses, chunkRows).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        return Evaluation(loss: total / Double(max(test.count, 1)), predictions: predicted.map { UInt8($0) })
    }
}

/// Where each tensor sits in one of the device's flat buffers (parameters, or the layers' buffers): `slots` order,
/// each start rounded up to the device's sub-buffer alignment so every tensor can be a view of one buffer.
struct DeviceLayout {
    let slots: [TensorSlot]
    /// Values of the host's vector, the tensors back to back.
    let hostCount: Int
    let offsets: [Int]
    let count: Int

    init(slots: [TensorSlot], hostCount: Int, alignmentBytes: Int) {
        (self.slots, self.hostCount) = (slots, hostCount)
        let alignment = max(alignmentBytes / MemoryLayout<Float>.stride, 1)
        var offsets: [Int] = [], next = 0
        for tensor in slots {
            offsets.append(next)
            next = (next + tensor.count + alignment - 1) / alignment * alignment
        }
        self.offsets = offsets
        count = next
    }

    func pad(_ values: [Float]) -> [Float] {
        var padded = [Float](repeating: 0, count: max(count, 1))
        values.withUnsafeBufferPointer { values in padded.withUnsafeMutableBufferPointer { place(values, into: $0) } }
        return padded
    }

    func unpad(_ padded: [Float]) -> [Float] {
        var values = [Float](repeating: 0, count: hostCount)
        for (tensor, offset) in zip(slots, offsets) {
            values[tensor.range] = padded[offset..<(offset + tensor.count)]
        }
        return values
    }

    /// Adds `weight` × the padded `values` into `sum`, in the host's layout.
    func accumulate(_ values: UnsafeBufferPointer<Float>, into sum: UnsafeMutableBufferPointer<Float>, weight: Float) {
        for (tensor, offset) in zip(slots, offsets) {
            for i in 0..<tensor.count { sum[tensor.range.lowerBound + i] += weight * values[offset + i] }
        }
    }

    /// Copies `values`, in the host's layout, into their places in `padded`.
    func place(_ values: UnsafeBufferPointer<Float>, into padded: UnsafeMutableBufferPointer<Float>) {
        for (tensor, offset) in zip(slots, offsets) {
            for i in 0..<tensor.count { padded[offset + i] = values[tensor.range.lowerBound + i] }
        }
    }

    /// Views of the tensors `range` (indices into `slots`) in `buffer`, laid out by this layout.
    func views(_ buffer: Buffer<Float>, _ range: Range<Int>) throws -> [Buffer<Float>] {
        try range.map { try Buffer(buffer, offset: offsets[$0], count: slots[$0].count) }
    }
}

public enum OpenCLBackendError: Error, CustomStringConvertible {
    case bufferTooLarge(bytes: Int, limit: UInt64, device: Device)
    /// Why steps cannot be replayed from a command buffer here.
    case noReplay(String)

    public var description: String {
        switch self {
        case .bufferTooLarge(let bytes, let limit, let device):
            return "training needs a buffer of \(bytes >> 20) MiB but \(device.name) allows at most "
                + "\(limit >> 20) MiB in one; use a smaller --model (or --hidden) or --batch-size"
        case .noReplay(let reason):
            return "--step-path replay: \(reason); use --step-path queue"
        }
    }
}
