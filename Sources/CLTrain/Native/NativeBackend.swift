import CBLAS
import Foundation

/// The `--cpu` path: the same model as the OpenCL backend, computed natively with OpenBLAS.
///
/// Mirrors `Reference.trainStep` layer by layer (and is tested against it), but for speed: the three matrix
/// products per layer are `cblas_sgemm` calls that read weights transposed in place, the element-wise work is
/// fused into one pass after each of them, and everything lives in buffers allocated once in `init`.
/// Both datasets are normalized to Float once up front, so a step gathers its rows with plain copies and the
/// evaluation multiplies straight out of the normalized test set.
///
/// The parameters start at zero and the optimizer's state fresh; `load` them before training.
public final class NativeBackend: TrainingBackend {
    public let architecture: Architecture
    public let optimizer: OptimizerConfig
    public let batchSize: Int
    /// Test rows per forward pass in `evaluate`: large enough for OpenBLAS to run near its peak.
    public let evaluationRows = 1000

    private let train: NormalizedSplit
    private let test: NormalizedSplit
    private var order: [Int32] = []

    /// Flat vectors in `Parameters.values` layout, so one update loop serves every tensor.
    private let parameters: UnsafeMutableBufferPointer<Float>
    private let gradients: UnsafeMutableBufferPointer<Float>
    /// The optimizer's state vectors in `optimizer.stateNames` order.
    private let optimizerBuffers: [UnsafeMutableBufferPointer<Float>]
    /// Where each layer's weight and bias start in the flat vectors (`Architecture.tensors` builds names
    /// and allocates, too slow to ask on every step).
    private let weightOffsets: [Int]
    private let biasOffsets: [Int]
    private var step = 0

    /// The gathered training batch, (batchSize, inputs).
    private let batchInput: UnsafeMutableBufferPointer<Float>
    /// `outputs[l]`: layer `l`'s output, ReLU applied for hidden layers, logits for the last; (rows, outputs(l)).
    private let outputs: [UnsafeMutableBufferPointer<Float>]
    /// `deltas[l]`: the loss's gradient with respect to layer `l`'s pre-activation, same shape as `outputs[l]`.
    private let deltas: [UnsafeMutableBufferPointer<Float>]
    /// The mean loss of each batch of the current epoch.
    private let batchLosses: UnsafeMutableBufferPointer<Float>

    public init(architecture: Architecture, optimizer: OptimizerConfig, normalization: Normalization, batchSize: Int,
                train: Dataset, test: Dataset) throws {
        OpenBLAS.prepared
        guard batchSize > 0 else { throw NativeBackendError.invalidBatchSize(batchSize) }
        for split in [train, test] where split.pixelsPerImage != architecture.inputs {
            throw NativeBackendError.inputSizeMismatch(dataset: split.name, pixels: split.pixelsPerImage, inputs: architecture.inputs)
        }
        self.architecture = architecture
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.train = NormalizedSplit(train, normalization: normalization)
        self.test = NormalizedSplit(test, normalization: normalization)

        let count = architecture.parameterCount
        parameters = .allocateZeroed(count)
        gradients = .allocateZeroed(count)
        optimizerBuffers = optimizer.stateNames.map { _ in .allocateZeroed(count) }
        let tensors = architecture.tensors
        weightOffsets = (0..<architecture.layerCount).map { tensors[2 * $0].offset }
        biasOffsets = (0..<architecture.layerCount).map { tensors[2 * $0 + 1].offset }

        let rows = max(batchSize, evaluationRows)
        batchInput = .allocateZeroed(batchSize * architecture.inputs)
        outputs = (0..<architecture.layerCount).map { .allocateZeroed(rows * architecture.outputs($0)) }
        deltas = (0..<architecture.layerCount).map { .allocateZeroed(batchSize * architecture.outputs($0)) }
        // An epoch has at most one batch per sample.
        batchLosses = .allocateZeroed(max(train.count, 1))
    }

    deinit {
        for buffer in [train.x, test.x, parameters, gradients, batchInput, batchLosses] + optimizerBuffers + outputs + deltas {
            buffer.deallocate()
        }
    }

    public var description: String { "native CPU (\(OpenBLAS.configuration))" }

    // MARK: State

    public func load(_ parameters: Parameters, _ state: OptimizerState) throws {
        guard parameters.architecture == architecture else {
            throw NativeBackendError.architectureMismatch(expected: architecture, found: parameters.architecture)
        }
        let sources = try optimizer.stateNames.map { name in
            guard let values = state.buffers[name], values.count == architecture.parameterCount else {
                throw NativeBackendError.missingOptimizerState(name: name, parameterCount: architecture.parameterCount)
            }
            return values
        }
        _ = self.parameters.update(fromContentsOf: parameters.values)
        for (buffer, values) in zip(optimizerBuffers, sources) { _ = buffer.update(fromContentsOf: values) }
        step = state.step
    }

    public func snapshot() throws -> (Parameters, OptimizerState) {
        let buffers = Dictionary(uniqueKeysWithValues: zip(optimizer.stateNames, optimizerBuffers.map(Array.init)))
        return (Parameters(architecture: architecture, values: Array(parameters)), OptimizerState(step: step, buffers: buffers))
    }

    // MARK: Training

    private var requestedLosses = 0

    public func beginEpoch(order: [Int32]) throws {
        // The gather reads through raw pointers, so an index out of range must be caught here.
        if let bad = order.first(where: { $0 < 0 || Int($0) >= train.count }) {
            throw NativeBackendError.sampleOutOfRange(index: Int(bad), count: train.count)
        }
        self.order = order
    }

    public func trainStep(batch: Int, start: Int, count rows: Int) throws {
        precondition(1...batchSize ~= rows && start >= 0 && start + rows <= order.count && batch < batchLosses.count,
                     "batch \(batch) of \(rows) samples from \(start) does not fit the epoch or the batch size")
        let inputs = architecture.inputs
        for r in 0..<rows {
            let sample = Int(order[start + r])
            (batchInput.baseAddress! + r * inputs).update(from: train.x.baseAddress! + sample * inputs, count: inputs)
        }
        forward(UnsafePointer(batchInput.baseAddress!), rows: rows)
        batchLosses[batch] = nllLogSoftmaxForwardBackward(rows: rows, labels: train.labels, from: order, at: start)
        backward(UnsafePointer(batchInput.baseAddress!), rows: rows)
        step += 1
        update()
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
        let classes = architecture.classes
        let logits = outputs[architecture.layerCount - 1]
        var totalLoss = 0.0
        var predictions = [UInt8](repeating: 0, count: test.count)
        for start in stride(from: 0, to: test.count, by: evaluationRows) {
            let rows = min(evaluationRows, test.count - start)
            forward(UnsafePointer(test.x.baseAddress! + start * architecture.inputs), rows: rows)
            for n in 0..<rows {
                let z = logits.baseAddress! + n * classes
                let (largest, logSumExp) = shiftedLogSumExp(z, classes: classes)
                totalLoss += Double(logSumExp - (z[Int(test.labels[start + n])] - largest))
                var best = 0
                for c in 1..<classes where z[c] > z[best] { best = c }
                predictions[start + n] = UInt8(best)
            }
        }
        return Evaluation(loss: totalLoss / Double(max(test.count, 1)), predictions: predictions)
    }

    // MARK: Passes

    /// Every layer's output for `rows` samples of `input` (rows, inputs) into `outputs`.
    private func forward(_ input: UnsafePointer<Float>, rows: Int) {
        for layer in 0..<architecture.layerCount {
            let (inputs, width) = (architecture.inputs(layer), architecture.outputs(layer))
            let y = outputs[layer].baseAddress!
            // Y = X · Wᵀ
            gemm(layerInput(layer, input), weight(layer), transposeB: true, into: y, m: rows, n: width, k: inputs)
            let bias = self.bias(layer)
            if layer < architecture.layerCount - 1 {
                for n in 0..<rows { for o in 0..<width { y[n * width + o] = max(y[n * width + o] + bias[o], 0) } }
            } else {
                for n in 0..<rows { for o in 0..<width { y[n * width + o] += bias[o] } }
            }
        }
    }

    /// The batch's mean NLL of log-softmax, and its gradient with respect to the logits into the last delta,
    /// `(softmax − onehot) / rows`, in one pass over the logits.
    private func nllLogSoftmaxForwardBackward(rows: Int, labels: [UInt8], from order: [Int32], at start: Int) -> Float {
        let classes = architecture.classes
        let logits = outputs[architecture.layerCount - 1].baseAddress!
        let dz = deltas[architecture.layerCount - 1].baseAddress!
        var totalLoss: Float = 0
        for n in 0..<rows {
            let z = logits + n * classes, d = dz + n * classes
            let label = Int(labels[Int(order[start + n])])
            let (largest, logSumExp) = shiftedLogSumExp(z, classes: classes)
            totalLoss += logSumExp - (z[label] - largest)
            for c in 0..<classes {
                d[c] = (exp((z[c] - largest) - logSumExp) - (c == label ? 1 : 0)) / Float(rows)
            }
        }
        return totalLoss / Float(rows)
    }

    /// Gradients of every parameter into `gradients`, from the last delta back to the first layer.
    private func backward(_ input: UnsafePointer<Float>, rows: Int) {
        for layer in (0..<architecture.layerCount).reversed() {
            let (inputs, width) = (architecture.inputs(layer), architecture.outputs(layer))
            let dy = UnsafePointer(deltas[layer].baseAddress!)
            // dW = dYᵀ · X
            gemm(dy, transposeA: true, layerInput(layer, input), into: gradients.baseAddress! + weightOffsets[layer], m: width, n: inputs, k: rows)
            let db = gradients.baseAddress! + biasOffsets[layer]
            for o in 0..<width { db[o] = 0 }
            for n in 0..<rows { for o in 0..<width { db[o] += dy[n * width + o] } }
            if layer > 0 {
                // dX = dY · W, then through the ReLU that produced this layer's input.
                let dx = deltas[layer - 1].baseAddress!, activation = outputs[layer - 1].baseAddress!
                gemm(dy, weight(layer), into: dx, m: rows, n: inputs, k: width)
                for j in 0..<(rows * inputs) where activation[j] <= 0 { dx[j] = 0 }
            }
        }
    }

    /// One pass of the optimizer's rule over the flat parameter vector (`Reference.sgdUpdate` / `adamUpdate`).
    private func update() {
        let p = parameters.baseAddress!, g = UnsafePointer(gradients.baseAddress!)
        let (lr, decay) = (optimizer.learningRate, optimizer.weightDecay)
        switch optimizer.kind {
        case .sgd where optimizer.momentum == 0:
            for j in 0..<parameters.count { p[j] -= lr * (g[j] + decay * p[j]) }
        case .sgd:
            let v = optimizerBuffers[0].baseAddress!, momentum = optimizer.momentum
            for j in 0..<parameters.count {
                v[j] = momentum * v[j] + (g[j] + decay * p[j])
                p[j] -= lr * v[j]
            }
        case .adam:
            let m = optimizerBuffers[0].baseAddress!, v = optimizerBuffers[1].baseAddress!
            let (beta1, beta2, epsilon) = (optimizer.beta1, optimizer.beta2, optimizer.epsilon)
            let (stepSize, rootCorrection2) = optimizer.adamFactors(step: step)
            for j in 0..<parameters.count {
                let gj = g[j] + decay * p[j]
                m[j] = beta1 * m[j] + (1 - beta1) * gj
                v[j] = beta2 * v[j] + (1 - beta2) * gj * gj
                p[j] -= stepSize * m[j] / (v[j].squareRoot() / rootCorrection2 + epsilon)
            }
        }
    }

    // MARK: Addressing

    private func layerInput(_ layer: Int, _ input: UnsafePointer<Float>) -> UnsafePointer<Float> {
        layer == 0 ? input : UnsafePointer(outputs[layer - 1].baseAddress!)
    }

    private func weight(_ layer: Int) -> UnsafePointer<Float> {
        UnsafePointer(parameters.baseAddress! + weightOffsets[layer])
    }

    private func bias(_ layer: Int) -> UnsafePointer<Float> {
        UnsafePointer(parameters.baseAddress! + biasOffsets[layer])
    }
}

/// A dataset's images normalized once to Float, (count, pixels) row-major, with its labels.
private struct NormalizedSplit {
    let x: UnsafeMutableBufferPointer<Float>
    let labels: [UInt8]
    var count: Int { labels.count }

    init(_ dataset: Dataset, normalization: Normalization) {
        // A table of the 256 possible values keeps every pixel bit-identical to `Normalization.apply`.
        let table = (0...255).map { normalization.apply(UInt8($0)) }
        x = .allocate(capacity: dataset.images.count)
        for (j, pixel) in dataset.images.enumerated() { x[j] = table[Int(pixel)] }
        labels = dataset.labels
    }
}

/// Errors a caller can fix by passing consistent arguments.
public enum NativeBackendError: Error, CustomStringConvertible {
    case invalidBatchSize(Int)
    case inputSizeMismatch(dataset: String, pixels: Int, inputs: Int)
    case architectureMismatch(expected: Architecture, found: Architecture)
    case missingOptimizerState(name: String, parameterCount: Int)
    case sampleOutOfRange(index: Int, count: Int)

    public var description: String {
        switch self {
        case .invalidBatchSize(let size):
            return "batch size \(size) is not positive"
        case .inputSizeMismatch(let dataset, let pixels, let inputs):
            return "\(dataset) has \(pixels) pixels per image but the model takes \(inputs) inputs"
        case .architectureMismatch(let expected, let found):
            return "parameters are for \(found), but this backend was built for \(expected)"
        case .missingOptimizerState(let name, let count):
            return "optimizer state '\(name)' with \(count) values is missing; start from a fresh state for this optimizer"
        case .sampleOutOfRange(let index, let count):
            return "epoch order names sample \(index), but the training set has \(count) samples"
        }
    }
}

// MARK: - Helpers

/// For the row `z`: its maximum and `log Σ exp(z − max)`, so `log_softmax(z)[c] = (z[c] − max) − logSumExp`
/// exactly as `Reference.logSoftmaxForward` computes it.
private func shiftedLogSumExp(_ z: UnsafePointer<Float>, classes: Int) -> (largest: Float, logSumExp: Float) {
    var largest = z[0]
    for c in 1..<classes { largest = max(largest, z[c]) }
    var sum: Float = 0
    for c in 0..<classes { sum += exp(z[c] - largest) }
    return (largest, log(sum))
}

/// `C (m, n) = op(A) (m, k) · op(B) (k, n)`, all row-major; a transposed factor is read transposed in place.
private func gemm(_ a: UnsafePointer<Float>, transposeA: Bool = false, _ b: UnsafePointer<Float>, transposeB: Bool = false,
                  into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), 0, c, Int32(n))
}

private extension UnsafeMutableBufferPointer where Element == Float {
    static func allocateZeroed(_ count: Int) -> Self {
        let buffer = allocate(capacity: count)
        buffer.initialize(repeating: 0)
        return buffer
    }
}
