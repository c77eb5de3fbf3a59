import CLKit

/// Trains on an OpenCL device. The datasets are uploaded once as uint8; an epoch uploads only its shuffled
/// order; each step is a fixed sequence of kernel launches on buffers allocated here, so the host never
/// waits for the device inside an epoch except when the training loop asks for losses.
public final class OpenCLBackend: TrainingBackend {
    public let library: KernelLibrary
    public let architecture: Architecture
    public let optimizer: OptimizerConfig
    public let normalization: Normalization
    public let batchSize: Int
    public var description: String { "OpenCL \(context.device.name) (\(context.device.platformName))" }

    private var context: Context { library.context }
    private let train: DeviceDataset
    private let test: DeviceDataset
    private let layout: DeviceLayout
    private let parameters: Buffer<Float>
    private let gradients: Buffer<Float>
    /// Optimizer state vectors by name (see `OptimizerConfig.stateNames`), laid out as `parameters`.
    private let state: [String: Buffer<Float>]
    private var step = 0
    private let weights: [Buffer<Float>], biases: [Buffer<Float>]
    private let weightGradients: [Buffer<Float>], biasGradients: [Buffer<Float>]
    /// activations[0] is the input batch; activations[l + 1] the output of layer l (the last: logits).
    private let activations: [Buffer<Float>]
    /// deltas[l] is the loss gradient with respect to activations[l + 1].
    private let deltas: [Buffer<Float>]
    /// The mean loss of each batch of the current epoch, in batch order.
    private let losses: Buffer<Float>
    /// Host memory the losses are copied into while the device goes on with later steps.
    private let stagedLosses: UnsafeMutableBufferPointer<Float>
    private var pendingLosses: (count: Int, event: Event)?
    /// Rows evaluated per launch sequence over the test set.
    private let evaluationRows: Int
    private let evaluationActivations: [Buffer<Float>]
    private let evaluationLogProbabilities: Buffer<Float>
    private let evaluationLosses: Buffer<Float>
    private let predictions: Buffer<Int32>
    private let predictionChunks: [Buffer<Int32>]

    /// - Parameter allocationLimit: the largest buffer allowed, in bytes; the device's own limit unless a test
    ///   injects a smaller one.
    public init(library: KernelLibrary, architecture: Architecture, optimizer: OptimizerConfig,
                normalization: Normalization, batchSize: Int, train: Dataset, test: Dataset,
                allocationLimit: UInt64? = nil) throws {
        self.library = library
        self.architecture = architecture
        self.optimizer = optimizer
        self.normalization = normalization
        self.batchSize = batchSize
        let context = library.context
        // Fail with the options to change rather than with CL_INVALID_BUFFER_SIZE from the first oversized buffer.
        let largest = [train.images.count, test.images.count, 4 * architecture.parameterCount,
                       4 * max(batchSize, 1024) * architecture.sizes.max()!].max()!
        let limit = allocationLimit ?? context.device.maxAllocationBytes
        guard UInt64(largest) <= limit else {
            throw OpenCLBackendError.bufferTooLarge(bytes: largest, limit: limit, device: context.device)
        }
        self.train = try DeviceDataset(context: context, dataset: train)
        self.test = try DeviceDataset(context: context, dataset: test)

        let layout = DeviceLayout(architecture: architecture, alignmentBytes: context.device.baseAddressAlignmentBytes)
        self.layout = layout
        let parameters = try Buffer<Float>(context: context, count: layout.count)
        let gradients = try Buffer<Float>(context: context, count: layout.count)
        try parameters.fill(0)
        try gradients.fill(0)  // the padding between tensors stays zero, so updating it is harmless
        self.parameters = parameters
        self.gradients = gradients
        var state: [String: Buffer<Float>] = [:]
        for name in optimizer.stateNames { state[name] = try Buffer(context: context, count: layout.count) }
        self.state = state
        // Every tensor is a view into the one parameter (or gradient) buffer that the update kernel sweeps.
        func views(_ buffer: Buffer<Float>, _ kind: Int) throws -> [Buffer<Float>] {
            try (0..<architecture.layerCount).map { layer in
                let tensor = 2 * layer + kind
                return try Buffer(buffer, offset: layout.offsets[tensor], count: architecture.tensors[tensor].count)
            }
        }
        weights = try views(parameters, 0)
        biases = try views(parameters, 1)
        weightGradients = try views(gradients, 0)
        biasGradients = try views(gradients, 1)

        activations = try architecture.sizes.map { try Buffer(context: context, count: batchSize * $0) }
        deltas = try architecture.sizes.dropFirst().map { try Buffer(context: context, count: batchSize * $0) }
        let batches = (train.count + batchSize - 1) / batchSize
        losses = try Buffer(context: context, count: max(batches, 1))
        stagedLosses = .allocate(capacity: max(batches, 1))

        let evaluationRows = min(1024, max(test.count, 1))
        self.evaluationRows = evaluationRows
        evaluationActivations = try architecture.sizes.map { try Buffer(context: context, count: evaluationRows * $0) }
        evaluationLogProbabilities = try Buffer(context: context, count: evaluationRows * architecture.classes)
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
        try context.finish()
    }

    deinit {
        // A copy still in flight writes into the staging memory: let it land before freeing it.
        try? pendingLosses?.event.wait()
        stagedLosses.deallocate()
    }

    public func load(_ parameters: Parameters, _ state: OptimizerState) throws {
        precondition(parameters.architecture == architecture, "parameters of another architecture")
        try self.parameters.write(layout.pad(parameters.values))
        for (name, buffer) in self.state {
            try buffer.write(layout.pad(state.buffers[name] ?? [Float](repeating: 0, count: architecture.parameterCount)))
        }
        step = state.step
    }

    public func snapshot() throws -> (Parameters, OptimizerState) {
        let values = layout.unpad(try parameters.read())
        var buffers: [String: [Float]] = [:]
        for (name, buffer) in state { buffers[name] = layout.unpad(try buffer.read()) }
        return (Parameters(architecture: architecture, values: values), OptimizerState(step: step, buffers: buffers))
    }

    public func beginEpoch(order: [Int32]) throws {
        precondition(order.count == train.count, "an epoch's order must cover the training set")
        // Blocking: the host's array may change as soon as this returns, and it is one upload per epoch.
        try train.order.write(order)
    }

    public func trainStep(batch: Int, start: Int, count: Int) throws {
        precondition(count > 0 && count <= batchSize && start + count <= train.count)
        let lib = library, sizes = architecture.sizes, last = architecture.layerCount - 1
        try lib.gatherNormalize(images: train.images, order: train.order, offset: start, rows: count,
                                features: sizes[0], normalization: normalization, x: activations[0])
        for l in 0...last {
            try lib.matmulForward(rows: count, inputs: sizes[l], outputs: sizes[l + 1], x: activations[l],
                                  weight: weights[l], bias: biases[l], y: activations[l + 1], relu: l < last)
        }
        try lib.logSoftmaxNLL(rows: count, classes: architecture.classes, z: activations[last + 1], labels: train.labels,
                              order: train.order, offset: start, losses: losses, slot: batch, dz: deltas[last])
        for l in stride(from: last, through: 0, by: -1) {
            // The input gradient first: it needs this layer's weights before the update changes them.
            if l > 0 {
                try lib.matmulBackwardInput(rows: count, inputs: sizes[l], outputs: sizes[l + 1], dy: deltas[l],
                                            weight: weights[l], activation: activations[l], dx: deltas[l - 1])
            }
            try lib.matmulBackwardWeight(rows: count, inputs: sizes[l], outputs: sizes[l + 1], dy: deltas[l],
                                         x: activations[l], dw: weightGradients[l], db: biasGradients[l])
        }
        step += 1
        switch optimizer.kind {
        case .sgd:
            try lib.sgdUpdate(count: layout.count, parameters: parameters, gradients: gradients,
                              velocity: state["momentum_buffer"] ?? gradients, config: optimizer)
        case .adam:
            try lib.adamUpdate(count: layout.count, parameters: parameters, gradients: gradients,
                               expAvg: state["exp_avg"]!, expAvgSq: state["exp_avg_sq"]!, step: step, config: optimizer)
        }
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
        let lib = library, sizes = architecture.sizes, last = architecture.layerCount - 1
        var chunkRows: [Int] = []
        for (chunk, output) in predictionChunks.enumerated() {
            let start = chunk * evaluationRows, rows = output.count
            chunkRows.append(rows)
            try lib.gatherNormalize(images: test.images, order: test.order, offset: start, rows: rows, features: sizes[0],
                                    normalization: normalization, x: evaluationActivations[0])
            for l in 0...last {
                try lib.matmulForward(rows: rows, inputs: sizes[l], outputs: sizes[l + 1], x: evaluationActivations[l],
                                      weight: weights[l], bias: biases[l], y: evaluationActivations[l + 1], relu: l < last)
            }
            try lib.logSoftmaxForward(rows: rows, classes: architecture.classes, z: evaluationActivations[last + 1],
                                      logp: evaluationLogProbabilities)
            try lib.nllLoss(rows: rows, classes: architecture.classes, logp: evaluationLogProbabilities,
                            labels: test.labels, order: test.order, offset: start, losses: evaluationLosses, slot: chunk)
            try lib.argmax(rows: rows, classes: architecture.classes, z: evaluationLogProbabilities, predictions: output)
        }
        let chunkLosses = try evaluationLosses.read(count: chunkRows.count)
        let predicted = try predictions.read(count: test.count)
        let total = zip(chunkLosses, chunkRows).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        return Evaluation(loss: total / Double(max(test.count, 1)), predictions: predicted.map { UInt8($0) })
    }
}

/// One dataset resident on the device: images and labels as uint8, and the order in which to visit them.
private struct DeviceDataset {
    let images: Buffer<UInt8>
    let labels: Buffer<UInt8>
    let order: Buffer<Int32>
    let count: Int

    init(context: Context, dataset: Dataset) throws {
        count = dataset.count
        images = try Buffer(context: context, values: dataset.images.isEmpty ? [0] : dataset.images)
        labels = try Buffer(context: context, values: dataset.labels.isEmpty ? [0] : dataset.labels)
        // The identity until an epoch writes its shuffled order; the test set keeps it.
        order = try Buffer(context: context, values: dataset.count == 0 ? [0] : (0..<Int32(dataset.count)).map { $0 })
    }
}

/// Where each tensor sits in the device's parameter buffer: `Architecture.tensors` order, each start
/// rounded up to the device's sub-buffer alignment so every tensor can be a view of one buffer.
struct DeviceLayout {
    let architecture: Architecture
    let offsets: [Int]
    let count: Int

    init(architecture: Architecture, alignmentBytes: Int) {
        self.architecture = architecture
        let alignment = max(alignmentBytes / MemoryLayout<Float>.stride, 1)
        var offsets: [Int] = [], next = 0
        for tensor in architecture.tensors {
            offsets.append(next)
            next = (next + tensor.count + alignment - 1) / alignment * alignment
        }
        self.offsets = offsets
        count = next
    }

    func pad(_ values: [Float]) -> [Float] {
        var padded = [Float](repeating: 0, count: count)
        for (tensor, offset) in zip(architecture.tensors, offsets) {
            padded[offset..<(offset + tensor.count)] = values[tensor.range]
        }
        return padded
    }

    func unpad(_ padded: [Float]) -> [Float] {
        var values = [Float](repeating: 0, count: architecture.parameterCount)
        for (tensor, offset) in zip(architecture.tensors, offsets) {
            values[tensor.range] = padded[offset..<(offset + tensor.count)]
        }
        return values
    }
}

public enum OpenCLBackendError: Error, CustomStringConvertible {
    case bufferTooLarge(bytes: Int, limit: UInt64, device: Device)

    public var description: String {
        switch self {
        case .bufferTooLarge(let bytes, let limit, let device):
            return "training needs a buffer of \(bytes >> 20) MiB but \(device.name) allows at most "
                + "\(limit >> 20) MiB in one; use a smaller --hidden or --batch-size"
        }
    }
}
