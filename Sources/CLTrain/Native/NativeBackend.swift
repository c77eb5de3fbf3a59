import Foundation

/// The `--cpu` path: the same model as the OpenCL backend, computed natively (OpenBLAS for the products).
///
/// Walks the model's stages like `Reference.lossAndGradients` (and is tested against it), each stage's
/// `NativeOperation` working on buffers allocated once in `init`. Both datasets are normalized to Float once up
/// front, so a step gathers its rows with plain copies and the evaluation reads the normalized test set directly.
///
/// The parameters start at zero and the optimizer's state fresh; `load` them before training.
public final class NativeBackend: ReplicaBackend {
    public let model: Model
    public let optimizer: OptimizerConfig
    /// The training loss; evaluation reports the plain cross-entropy.
    public let loss: LossConfig
    private let optimizerRule: any OptimizerKind.Type, lossRule: any LossKind.Type
    /// Host threads the gather and the update split across (the layers take their own count the same way).
    private let workers: Int
    /// The vectors' slices each worker updates (`NativeStages.updateShares`), cut once.
    private let updateSlices: [[UpdateVectors]]
    public let batchSize: Int
    public let seed: UInt64
    /// Test rows per forward pass in `evaluate`: large enough for OpenBLAS to run near its peak.
    public static let evaluationRows = 1000

    private let train: NormalizedSplit
    private let test: NormalizedSplit
    private var order: [Int32] = []
    private let augmentation: Augmentation
    /// The current epoch, which keys the augmentation's draws.
    private var epoch = 0
    /// Each channel's normalized 0: what zero padding becomes.
    private let paddingValues: [Float]

    /// Flat vectors in `Parameters.values` layout, so one update loop serves every tensor.
    private let parameters: UnsafeMutableBufferPointer<Float>
    private let gradients: UnsafeMutableBufferPointer<Float>
    /// The layers' buffers (running statistics) in `Model.buffers` layout.
    private let buffers: UnsafeMutableBufferPointer<Float>
    /// The optimizer's state vectors in `optimizer.stateNames` order.
    private let optimizerBuffers: [UnsafeMutableBufferPointer<Float>]
    private var step = 0

    private let stages: NativeStages
    /// The gathered batch, (batch, input values).
    private let batchInput: UnsafeMutableBufferPointer<Float>
    /// The loss's gradient with respect to the logits, (batch, classes).
    private let logitsDelta: UnsafeMutableBufferPointer<Float>
    /// The mean loss of each batch of the current epoch.
    private let batchLosses: UnsafeMutableBufferPointer<Float>

    public init(plan: TrainingPlan, train: Dataset, test: Dataset) throws {
        try OpenBLAS.load()
        workers = hostWorkers
        let model = plan.model
        guard plan.batchSize > 0 else { throw NativeBackendError.invalidBatchSize(plan.batchSize) }
        for split in [train, test] where split.pixelsPerImage != model.input.count {
            throw NativeBackendError.inputSizeMismatch(dataset: split.name, pixels: split.pixelsPerImage, inputs: model.input.count)
        }
        self.model = model
        optimizer = plan.optimizer
        loss = plan.loss
        batchSize = plan.batchSize
        seed = plan.seed
        augmentation = plan.augmentation
        paddingValues = (0..<train.channels).map { plan.normalization.apply(0, channel: $0) }
        self.train = NormalizedSplit(train, normalization: plan.normalization)
        self.test = NormalizedSplit(test, normalization: plan.normalization)

        let count = model.parameterCount
        parameters = .allocateZeroed(count)
        gradients = .allocateZeroed(count)
        buffers = .allocateZeroed(model.bufferCount)
        _ = buffers.update(fromContentsOf: model.initialBuffers)
        optimizerBuffers = plan.optimizer.stateNames.map { _ in .allocateZeroed(count) }
        // Looked up and laid out once: a step allocates nothing.
        (optimizerRule, lossRule) = (plan.optimizer.rule, plan.loss.rule)
        let updateVectors = UpdateVectors(count: count, parameters: parameters.baseAddress!, gradients: UnsafePointer(gradients.baseAddress!),
                                      state: optimizerBuffers.map { $0.baseAddress! })
        let rows = passRows(batchSize: batchSize, testCount: test.count, native: true)
        stages = NativeStages(model.plan, batch: plan.batchSize, rows: rows)
        let updateShares = stages.updateShares(workers: workers)
        let shared = updateShares.joined().sorted { $0.lowerBound < $1.lowerBound }
        precondition((shared.first?.lowerBound ?? 0) == 0 && zip(shared, shared.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }
                     && shared.reduce(0) { $0 + $1.count } == count, "the workers' updates must cover each parameter once")
        updateSlices = updateShares.map { ranges in ranges.map { updateVectors.slice($0) } }
        batchInput = .allocateZeroed(plan.batchSize * model.input.count)
        logitsDelta = .allocateZeroed(plan.batchSize * model.classes)
        // An epoch has at most one batch per sample.
        batchLosses = .allocateZeroed(max(train.count, 1))
    }

    deinit {
        for buffer in [train.x, test.x, parameters, gradients, buffers, batchLosses, batchInput, logitsDelta] + optimizerBuffers {
            buffer.deallocate()
        }
    }

    public var description: String { Self.description }
    public static var description: String {
        "native CPU (\(OpenBLAS.configuration))"
    }

    // MARK: State

    public func load(_ parameters: Parameters, _ state: OptimizerState) throws {
        guard parameters.model == model else {
            throw NativeBackendError.modelMismatch(expected: model, found: parameters.model)
        }
        let sources = try optimizer.stateNames.map { name in
            guard let values = state.buffers[name], values.count == model.parameterCount else {
                throw NativeBackendError.missingOptimizerState(name: name, parameterCount: model.parameterCount)
            }
            return values
        }
        _ = self.parameters.update(fromContentsOf: parameters.values)
        _ = buffers.update(fromContentsOf: parameters.buffers)
        for (buffer, values) in zip(optimizerBuffers, sources) { _ = buffer.update(fromContentsOf: values) }
        step = state.step
    }

    public func snapshot() throws -> (Parameters, OptimizerState) {
        let buffers = Dictionary(uniqueKeysWithValues: zip(optimizer.stateNames, optimizerBuffers.map(Array.init)))
        return (Parameters(model: model, values: Array(parameters), buffers: Array(self.buffers.prefix(model.bufferCount))),
                OptimizerState(step: step, buffers: buffers))
    }

    // MARK: Training

    private var requestedLosses = 0

    public func beginEpoch(_ epoch: Int, order: [Int32]) throws {
        self.epoch = epoch
        // The gather reads through raw pointers, so an index out of range must be caught here.
        if let bad = order.first(where: { $0 < 0 || Int($0) >= train.count }) {
            throw NativeBackendError.sampleOutOfRange(index: Int(bad), count: train.count)
        }
        self.order = order
    }

    public func trainStep(batch: Int, start: Int, count: Int, learningRate: Float) throws {
        try computeGradients(batch: batch, start: start, count: count)
        try applyUpdate(learningRate: learningRate)
    }

    public func computeGradients(batch: Int, start: Int, count rows: Int) throws {
        precondition(0...batchSize ~= rows && start >= 0 && start + rows <= order.count && batch < batchLosses.count,
                     "batch \(batch) of \(rows) samples from \(start) does not fit the epoch or the batch size")
        step += 1
        guard rows > 0 else { return }
        let inputs = model.input.count, x = batchInput.baseAddress!
        if let shape = model.input.image, !augmentation.isNone {
            gatherAugmented(into: x, rows: rows, start: start, shape: shape)
        } else {
            inParallel(batch: rows, workers: workers) { _, samples in
                for r in samples {
                    (x + r * inputs).update(from: train.x.baseAddress! + Int(order[start + r]) * inputs, count: inputs)
                }
            }
        }
        let pass = Pass.training(seed: seed, step: step)
        let logits = forward(x, rows: rows, pass: pass)
        batchLosses[batch] = lossRule.forwardBackward(logits: logits, rows: rows, classes: model.classes,
                                                      label: { Int(self.train.labels[Int(self.order[start + $0])]) }, settings: loss,
                                                      dz: logitsDelta.baseAddress!)
        stages.backward(input: x, dy: logitsDelta.baseAddress!, dx: nil, rows: rows, parameters: parameters.baseAddress!,
                        gradients: gradients.baseAddress!, pass: pass)
    }

    public func applyUpdate(learningRate: Float) throws {
        // Every rule is element-wise, so each worker updates the parameters its layers' passes computed with.
        inParallel(parts: updateSlices.count) { part in
            for vectors in updateSlices[part] {
                optimizerRule.update(vectors, step: step, learningRate: learningRate, settings: optimizer)
            }
        }
    }

    public func accumulate(into sum: UnsafeMutableBufferPointer<Float>, weight: Float, batch: Int) throws {
        let (gradientSums, bufferSums) = (model.exchangedGradients.lowerBound, model.exchangedBuffers.lowerBound)
        for i in 0..<model.parameterCount { sum[gradientSums + i] += weight * gradients[i] }
        for i in 0..<model.bufferCount { sum[bufferSums + i] += weight * buffers[i] }
        sum[model.exchangedLoss] += weight * batchLosses[batch]
    }

    public func assign(from sum: UnsafeBufferPointer<Float>, batch: Int) throws {
        _ = gradients.update(fromContentsOf: sum.extracting(model.exchangedGradients))
        _ = buffers.update(fromContentsOf: sum.extracting(model.exchangedBuffers))
        batchLosses[batch] = sum[model.exchangedLoss]
    }

    /// `Reference.gatherAugment` on the normalized training set: each line copied from its shifted source line,
    /// mirrored where drawn, with the padding's normalized 0 outside the image.
    private func gatherAugmented(into x: UnsafeMutablePointer<Float>, rows: Int, start: Int,
                                 shape: (channels: Int, height: Int, width: Int)) {
        let (channels, height, width) = shape, features = channels * height * width
        for r in 0..<rows {
            let sample = Int(order[start + r])
            let (dy, dx, mirrored) = augmentation.draw(sample: sample, epoch: epoch, seed: seed)
            let source = train.x.baseAddress! + sample * features, out = x + r * features
            for c in 0..<channels {
                for y in 0..<height {
                    let sy = y + dy, line = out + (c * height + y) * width
                    for ox in 0..<width {
                        let sx = (mirrored ? width - 1 - ox : ox) + dx
                        line[ox] = (0..<height).contains(sy) && (0..<width).contains(sx)
                            ? source[(c * height + sy) * width + sx] : paddingValues[c]
                    }
                }
            }
        }
    }

    /// The host computes each step before `trainStep` returns, so the losses are ready when asked for.
    public func requestLosses(count: Int) throws {
        precondition(count <= batchLosses.count, "an epoch has at most \(batchLosses.count) batches")
        requestedLosses = count
    }

    public func receiveLosses() throws -> [Float] {
        Array(batchLosses[0..<requestedLosses])
    }

    public func evaluate() throws -> Evaluation {
        let classes = model.classes
        var totalLoss = 0.0
        var predictions = [UInt8](repeating: 0, count: test.count)
        for start in stride(from: 0, to: test.count, by: Self.evaluationRows) {
            let rows = min(Self.evaluationRows, test.count - start)
            let logits = forward(test.x.baseAddress! + start * model.input.count, rows: rows, pass: .evaluation)
            for n in 0..<rows {
                let z = logits + n * classes
                let (largest, logSumExp) = CrossEntropy.shiftedLogSumExp(z, classes: classes)
                totalLoss += Double(logSumExp - (z[Int(test.labels[start + n])] - largest))
                var best = 0
                for c in 1..<classes where z[c] > z[best] { best = c }
                predictions[start + n] = UInt8(best)
            }
        }
        return Evaluation(loss: totalLoss / Double(max(test.count, 1)), predictions: predictions)
    }

    /// Every stage's output for `rows` samples of `input`; returns the logits.
    private func forward(_ input: UnsafePointer<Float>, rows: Int, pass: Pass) -> UnsafePointer<Float> {
        stages.forward(input, rows: rows, parameters: parameters.baseAddress!, buffers: buffers.baseAddress!, pass: pass)
    }
}

/// A dataset's images normalized once to Float, (count, pixels) row-major, with its labels.
private struct NormalizedSplit {
    let x: UnsafeMutableBufferPointer<Float>
    let labels: [UInt8]
    var count: Int { labels.count }

    init(_ dataset: Dataset, normalization: Normalization) {
        // A table of the 256 possible values per channel keeps every pixel bit-identical to `Normalization.apply`.
        let tables = (0..<dataset.channels).map { c in (0...255).map { normalization.apply(UInt8($0), channel: c) } }
        let plane = dataset.rows * dataset.columns
        let x = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(dataset.images.count, 1))
        dataset.images.withUnsafeBufferPointer { pixels in
            for (j, pixel) in pixels.enumerated() { x[j] = tables[j / plane % dataset.channels][Int(pixel)] }
        }
        // The floats are what training reads; a mapped file's pages need not stay.
        dataset.images.evictPages()
        self.x = x
        labels = dataset.labels
    }
}

/// Errors a caller can fix by passing consistent arguments.
public enum NativeBackendError: Error, CustomStringConvertible {
    case invalidBatchSize(Int)
    case inputSizeMismatch(dataset: String, pixels: Int, inputs: Int)
    case modelMismatch(expected: Model, found: Model)
    case missingOptimizerState(name: String, parameterCount: Int)
    case sampleOutOfRange(index: Int, count: Int)

    public var description: String {
        switch self {
        case .invalidBatchSize(let size):
            return "batch size \(size) is not positive"
        case .inputSizeMismatch(let dataset, let pixels, let inputs):
            return "\(dataset) has \(pixels) pixels per image but the model takes \(inputs) inputs"
        case .modelMismatch(let expected, let found):
            return "parameters are for \(found), but this backend was built for \(expected)"
        case .missingOptimizerState(let name, let count):
            return "optimizer state '\(name)' with \(count) values is missing; start from a fresh state for this optimizer"
        case .sampleOutOfRange(let index, let count):
            return "epoch order names sample \(index), but the training set has \(count) samples"
        }
    }
}
