import CLKit
import Foundation

/// Runs every kernel on fresh random inputs at awkward sizes and compares it with its CPU twin in
/// `Reference`. `swift test` and `cltrain selftest` both run these, so a user's driver is held to the
/// same bar as CI's. Sizes include 1, primes and sizes just past the tile and work-group sizes.
public struct KernelChecks {
    public let library: KernelLibrary
    /// Printed with every run so a failure can be replayed with the same inputs.
    public let seed: UInt64
    var random: SeededGenerator

    /// Only the sizes of at most `smallWork` elements or multiply-adds, for simulators such as Oclgrind that
    /// interpret every work-item: the awkward sizes stay, the lesson's full shapes go.
    public let small: Bool
    static let smallWork = 70_000

    public init(library: KernelLibrary, seed: UInt64, small: Bool = false) {
        self.library = library
        self.seed = seed
        self.small = small
        random = SeededGenerator(seed: seed)
    }

    /// `sizes`, less those whose `work` is too large for a `small` run.
    func sized<Size>(_ sizes: [Size], _ work: (Size) -> Int) -> [Size] {
        small ? sizes.filter { work($0) <= Self.smallWork } : sizes
    }

    /// Every kernel a check exists for, by kernel name.
    public static let kernels = [
        "gather_normalize", "gather_augment", "matmul_forward", "matmul_backward", "bias_backward",
        "relu_forward", "relu_backward", "log_softmax_forward", "nll_loss", "nll_log_softmax_backward",
        "argmax", "count_correct",
    ] + LossRegistry.kinds.flatMap { kind in kind.kernelChecks.map { $0.kernel } } + LayerRegistry.kinds.flatMap { kind in kind.kernelChecks.map { $0.kernel } } + optimizerKernels

    /// The checks each layer and loss kind declares for its own kernels, by kernel name.
    static let kindKernelChecks = Dictionary(uniqueKeysWithValues: LayerRegistry.kinds.flatMap { kind in
        kind.kernelChecks.map { ($0.kernel, $0) }
    } + LossRegistry.kinds.flatMap { kind in kind.kernelChecks.map { ($0.kernel, $0) } })

    /// (rows, inputs, outputs) of the matmul checks: degenerate, odd, and the lesson's training shapes.
    static let matmulShapes = [(1, 1, 1), (7, 33, 65), (65, 100, 7), (64, 784, 128), (64, 128, 64), (64, 64, 10),
                               (100, 1000, 33)]
    static let lengths = [1, 7, 33, 65, 100, 784, 1000]
    /// (rows, classes) of the softmax and loss checks.
    static let rowsAndClasses = [(1, 10), (7, 10), (33, 7), (65, 33), (100, 10), (1000, 10)]
    var matmulShapes: [(Int, Int, Int)] { sized(Self.matmulShapes) { $0 * $1 * $2 } }
    var lengths: [Int] { sized(Self.lengths) { $0 } }

    /// Runs the checks of one kernel at all of its sizes.
    public mutating func run(_ kernel: String) throws -> [KernelCheckResult] {
        switch kernel {
        case "gather_normalize": return try sized([(1, 1), (7, 33), (65, 784), (9, 3 * 37), (100, 1000)], { $0 * $1 }).map { try gatherNormalize($0, $1) }
        case "gather_augment": return try [(1, 1, 1, 1, true), (9, 3, 7, 5, true), (33, 1, 28, 28, false), (64, 3, 32, 32, true)]
            .map { try gatherAugment(rows: $0, channels: $1, height: $2, width: $3, flip: $4) }
        case "matmul_forward": return try matmulShapes.enumerated().map { try matmulForward($1, relu: $0 % 2 == 0) }
        case "matmul_backward":
            return try matmulShapes.enumerated().map { try matmulBackward($1, inputGradient: $0 % 3 != 2, masked: $0 % 3 == 0) }
        case "bias_backward": return try matmulShapes.map { try biasBackward(rows: $0.0, outputs: $0.2) }
        case "relu_forward": return try lengths.map { try reluForward($0) }
        case "relu_backward": return try lengths.map { try reluBackward($0) }
        case "log_softmax_forward": return try Self.rowsAndClasses.map { try logSoftmaxForward($0, $1) }
        case "nll_loss": return try Self.rowsAndClasses.map { try nllLoss($0, $1) }
        case "nll_log_softmax_backward": return try Self.rowsAndClasses.map { try nllLogSoftmaxBackward($0, $1) }
        case "argmax": return try Self.rowsAndClasses.map { try argmax($0, $1) }
        case "count_correct": return try lengths.map { try countCorrect($0) }
        case _ where Self.optimizerKernels.contains(kernel): return try optimizerUpdates(kernel: kernel)
        case _ where Self.kindKernelChecks[kernel] != nil: return try Self.kindKernelChecks[kernel]!.run(&self)
        default: throw CLError.call("clCreateKernel(\(kernel))", code: CLError.invalidKernelName)
        }
    }

    /// The kernels whose code depends on the matmul variant (the others are the same in every configuration).
    public static let matmulKernels = ["matmul_forward", "matmul_backward"]

    /// The check of one matmul kernel at one shape, with its fused ReLU (or mask) and without: the tuner's
    /// acceptance test of a configuration at the shape it was chosen for.
    public mutating func matmul(_ shape: MatmulShape) throws -> KernelCheckResult {
        let sizes = (shape.rows, shape.inputs, shape.outputs)
        switch shape.kernel {
        case "matmul_forward": return try matmulForward(sizes, relu: true).merging(matmulForward(sizes, relu: false))
        case "matmul_backward" where shape.inputGradient:
            return try matmulBackward(sizes, inputGradient: true, masked: true)
                .merging(matmulBackward(sizes, inputGradient: true, masked: false))
        case "matmul_backward": return try matmulBackward(sizes, inputGradient: false, masked: false)
        default: throw CLError.call("clCreateKernel(\(shape.kernel))", code: CLError.invalidKernelName)
        }
    }

    /// Runs every check, kernel by kernel.
    public mutating func runAll() throws -> [KernelCheckResult] {
        try Self.kernels.flatMap { try run($0) }
    }

    /// Every check on `context`'s device: all kernels as the device's own configuration builds them, then the
    /// matmul kernels of every other variant that fits the device, since a user may select or tune them, and of
    /// every configuration in `tuning`; then the checks of each kind whose launches `tuning` gives a grid choice,
    /// with that choice forced.
    public static func runEveryVariant(context: Context, sources: [String: String], seed: UInt64, small: Bool = false,
                                       tuning: Tuning = Tuning()) throws
        -> (configuration: KernelConfiguration, results: [KernelCheckResult]) {
        let own = KernelConfiguration.choose(for: context.device)
        var checks = KernelChecks(library: try KernelLibrary(context: context, configuration: own, sources: sources),
                                  seed: seed, small: small)
        var results = try checks.runAll()
        let tuned = Set(tuning.choices.values.map(\.matmul)).subtracting([own.matmul]).sorted { "\($0)" < "\($1)" }
            .map { KernelConfiguration(matmul: $0, reductionGroup: own.reductionGroup) }
        for other in KernelConfiguration.variants(for: context.device).filter({ $0.matmulFile != own.matmulFile }) + tuned {
            var more = KernelChecks(library: try KernelLibrary(context: context, configuration: other, sources: sources),
                                    seed: seed, small: small)
            results += try matmulKernels.flatMap { try more.run($0) }
        }
        // A tuned grid choice may run a build at channel counts its rule would not give it, in other groups.
        let gridChoices = Set(tuning.grids.map { GridTarget(kernel: $0.key.kernel, choice: $0.value) })
        for target in gridChoices.sorted(by: { "\($0)" < "\($1)" }) {
            results += try checks.forcing(target.choice, on: target.kernel)
        }
        return (own, results)
    }

    private struct GridTarget: Hashable, CustomStringConvertible {
        let kernel: String, choice: GridChoice
        var description: String { "\(kernel) \(choice)" }
    }

    /// The checks of the layer kind whose file defines `kernel`, with `choice` forced on every launch of it (the
    /// tuner's acceptance test of a grid choice, and selftest's of a tuned one); each result names the choice.
    /// Empty where no kind owns the kernel, or the choice does not fit it.
    mutating func forcing(_ choice: GridChoice, on kernel: String) throws -> [KernelCheckResult] {
        guard let file = library.kernelFiles[kernel], let kind = LayerRegistry.kinds.first(where: { $0.name == file }),
              (try? library.checkFits(choice, kernel: kernel)) != nil else { return [] }
        library.forcedGrid = (kernel, choice)
        defer { library.forcedGrid = nil }
        return try kind.kernelChecks.flatMap { try $0.run(&self) }.map {
            KernelCheckResult(kernel: $0.kernel, variant: "\(kernel) \(choice)", sizes: $0.sizes, maxAbsoluteError: $0.maxAbsoluteError,
                              maxRelativeError: $0.maxRelativeError, failures: $0.failures, seconds: $0.seconds)
        }
    }

    // MARK: Inputs

    var context: Context { library.context }

    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in Float.random(in: -scale...scale, using: &random) }
    }

    mutating func bytes(_ count: Int, below limit: Int = 256) -> [UInt8] {
        (0..<count).map { _ in UInt8(Int.random(in: 0..<limit, using: &random)) }
    }

    /// A shuffled index list over `count` samples, the shape an epoch's order has.
    mutating func order(_ count: Int) -> [Int32] {
        (0..<Int32(count)).shuffled(using: &random)
    }

    /// Runs `launch`, waits for the device, and returns the seconds it took (see `Context.measure`).
    func timed(_ launch: () throws -> Event?) throws -> Double {
        try context.measure(launch)
    }

    func input<T>(_ values: [T]) throws -> Buffer<T> { try Buffer(context: context, values: values) }

    // MARK: Checks

    /// Three channels of `features / 3` pixels (odd planes put channel boundaries inside a 16-pixel vector), each
    /// with its own mean and std, so a kernel that read one channel's values for another's pixels fails.
    private mutating func gatherNormalize(_ rows: Int, _ features: Int) throws -> KernelCheckResult {
        let samples = 2 * rows + 3, channels = features % 3 == 0 ? 3 : 1
        let images = bytes(samples * features), order = order(samples)
        let offset = samples - rows  // read the end of the order, so offset arithmetic is exercised
        let normalization = Normalization(mean: [0.4914, 0.4822, 0.4465].prefix(channels).map { $0 },
                                          std: [0.2470, 0.2435, 0.2616].prefix(channels).map { $0 })
        let out = try GuardedOutput<Float>(context: context, count: rows * features)
        try library.setStep(StepRecord(offset: offset))
        let seconds = try timed {
            try library.gatherNormalize(images: input(images), order: input(order), rows: rows,
                                        features: features, channels: channels,
                                        normalization: input(normalization.table(channels: channels)), x: out.buffer)
        }
        let expected = Reference.gatherNormalize(images: images, order: order, offset: offset, rows: rows,
                                                 features: features, channels: channels, normalization: normalization)
        // One division and one subtraction per element: a few ulps of values up to ~4.
        return try compare(kernel: "gather_normalize", sizes: "\(rows)×\(features)", output: out, expected: expected,
                           absolute: 1e-6, relative: 1e-6, seconds: seconds)
    }

    /// Odd image sizes, each channel with its own values, and crops up to 4 pixels (past a 1-pixel image's edge):
    /// a wrong offset, mirror or padding value changes whole lines, far beyond the tolerance. The sample indices
    /// that key the draws are another permutation than the order (as in a streamed chunk), so a kernel that keyed
    /// by the image it reads fails.
    private mutating func gatherAugment(rows: Int, channels: Int, height: Int, width: Int, flip: Bool) throws -> KernelCheckResult {
        let samples = 2 * rows + 3, features = channels * height * width
        let images = bytes(samples * features), order = order(samples), keys = self.order(samples)
        let offset = samples - rows
        let normalization = Normalization(mean: [0.4914, 0.4822, 0.4465].prefix(channels).map { $0 },
                                          std: [0.2470, 0.2435, 0.2616].prefix(channels).map { $0 })
        let augmentation = Augmentation(padding: 4, flip: flip), seed = UInt64.random(in: 0 ... .max, using: &random)
        let epoch = Int.random(in: 1...1000, using: &random)
        let out = try GuardedOutput<Float>(context: context, count: rows * features)
        try library.setStep(StepRecord(offset: offset, epoch: epoch))
        let seconds = try timed {
            try library.gatherAugment(images: input(images), order: input(order), samples: input(keys), rows: rows,
                                      shape: (channels, height, width), normalization: input(normalization.table(channels: channels)),
                                      augmentation: augmentation, seed: seed, x: out.buffer)
        }
        let expected = Reference.gatherAugment(images: images, order: order, samples: keys, offset: offset, rows: rows, channels: channels,
                                               height: height, width: width, normalization: normalization,
                                               augmentation: augmentation, seed: seed, epoch: epoch)
        // The same division and subtraction as gather_normalize: a few ulps.
        return try compare(kernel: "gather_augment", sizes: "\(rows)×\(channels)×\(height)×\(width)\(flip ? " +flip" : "")",
                           output: out, expected: expected, absolute: 1e-6, relative: 1e-6, seconds: seconds)
    }

    /// Tolerance for a dot product of `depth` terms in [−1, 1]: the kernel sums in another order than the twin,
    /// and the rounding of a partial sum that wanders like √depth, over depth additions, grows like
    /// depth · 6e-8 on average. 1e-6 · depth leaves ample headroom yet is far below a wrong or missing term.
    func dotTolerance(_ depth: Int) -> (absolute: Double, relative: Double) {
        (1e-6 * Double(depth), 1e-5)
    }

    private mutating func matmulForward(_ shape: (Int, Int, Int), relu: Bool) throws -> KernelCheckResult {
        let (rows, inputs, outputs) = shape
        let x = floats(rows * inputs), w = floats(outputs * inputs), b = floats(outputs)
        let out = try GuardedOutput<Float>(context: context, count: rows * outputs)
        let seconds = try timed {
            try library.matmulForward(rows: rows, inputs: inputs, outputs: outputs, x: input(x), weight: input(w),
                                      bias: input(b), y: out.buffer, relu: relu)
        }
        let expected = Reference.matmulForward(x: x, weight: w, bias: b, rows: rows, inputs: inputs, outputs: outputs, relu: relu)
        let tolerance = dotTolerance(inputs)
        return try compare(kernel: "matmul_forward", variant: library.configuration.matmulFile, sizes: "\(rows)×\(inputs)→\(outputs)\(relu ? " +relu" : "")",
                           output: out, expected: expected, absolute: tolerance.absolute, relative: tolerance.relative,
                           seconds: seconds)
    }

    /// matmul_backward: dW and the fused db against their twins, and where `inputGradient`, dX too, through the
    /// ReLU output that fed the layer if `masked`. Without dX the kernel is handed dW in dX's place, as the launcher
    /// does, so a stray write there shows in dW.
    private mutating func matmulBackward(_ shape: (Int, Int, Int), inputGradient: Bool, masked: Bool) throws -> KernelCheckResult {
        let (rows, inputs, outputs) = shape
        let dy = floats(rows * outputs), w = floats(outputs * inputs), x = floats(rows * inputs)
        // A ReLU output: about half zeros, the rest positive.
        let activation = x.map { max($0, 0) }
        let dx = try GuardedOutput<Float>(context: context, count: rows * inputs)
        let dw = try GuardedOutput<Float>(context: context, count: outputs * inputs)
        let db = try GuardedOutput<Float>(context: context, count: outputs)
        let seconds = try timed {
            try library.matmulBackward(rows: rows, inputs: inputs, outputs: outputs, dy: input(dy), weight: input(w),
                                       x: input(masked ? activation : x), activation: masked ? input(activation) : nil,
                                       dx: inputGradient ? dx.buffer : nil, dw: dw.buffer, db: db.buffer)
        }
        let (kernel, variant) = ("matmul_backward", library.configuration.matmulFile)
        let sizes = "\(rows)×\(outputs)→\(inputs)" + (inputGradient ? masked ? " +dX +mask" : " +dX" : "")
        let (weightTolerance, inputTolerance) = (dotTolerance(rows), dotTolerance(outputs))
        var result = try compare(kernel: kernel, variant: variant, sizes: sizes, output: dw,
                                 expected: Reference.matmulBackwardWeight(dy: dy, x: masked ? activation : x, rows: rows,
                                                                          inputs: inputs, outputs: outputs),
                                 absolute: weightTolerance.absolute, relative: weightTolerance.relative, seconds: seconds)
            .merging(compare(kernel: kernel, variant: variant, sizes: sizes, output: db,
                             expected: Reference.biasBackward(dy: dy, rows: rows, outputs: outputs),
                             absolute: weightTolerance.absolute, relative: weightTolerance.relative, seconds: seconds))
        if inputGradient {
            result = try result.merging(compare(
                kernel: kernel, variant: variant, sizes: sizes, output: dx,
                expected: Reference.matmulBackwardInput(dy: dy, weight: w, rows: rows, inputs: inputs, outputs: outputs,
                                                        reluOutput: masked ? activation : nil),
                absolute: inputTolerance.absolute, relative: inputTolerance.relative, seconds: seconds))
        }
        return result
    }

    private mutating func biasBackward(rows: Int, outputs: Int) throws -> KernelCheckResult {
        let dy = floats(rows * outputs)
        let out = try GuardedOutput<Float>(context: context, count: outputs)
        let seconds = try timed { try library.biasBackward(rows: rows, outputs: outputs, dy: input(dy), db: out.buffer) }
        let expected = Reference.biasBackward(dy: dy, rows: rows, outputs: outputs)
        let tolerance = dotTolerance(rows)
        return try compare(kernel: "bias_backward", sizes: "\(rows)×\(outputs)", output: out, expected: expected,
                           absolute: tolerance.absolute, relative: tolerance.relative, seconds: seconds)
    }

    private mutating func reluForward(_ count: Int) throws -> KernelCheckResult {
        let x = floats(count)
        let out = try GuardedOutput<Float>(context: context, count: count)
        let seconds = try timed { try library.reluForward(x: input(x), y: out.buffer, count: count) }
        // ReLU copies or zeroes: no rounding at all, so the result must be exact.
        return try compare(kernel: "relu_forward", sizes: "\(count)", output: out, expected: Reference.reluForward(x),
                           absolute: 0, relative: 0, seconds: seconds)
    }

    private mutating func reluBackward(_ count: Int) throws -> KernelCheckResult {
        let x = floats(count), dy = floats(count)
        let out = try GuardedOutput<Float>(context: context, count: count)
        let seconds = try timed { try library.reluBackward(x: input(x), dy: input(dy), dx: out.buffer, count: count) }
        // Copies or zeroes, as the forward pass: exact.
        return try compare(kernel: "relu_backward", sizes: "\(count)", output: out,
                           expected: Reference.reluBackward(x: x, dy: dy), absolute: 0, relative: 0, seconds: seconds)
    }

    /// exp and log in OpenCL C are allowed 3–4 ulp; a row's log-sum-exp adds a few more roundings.
    static let softmaxTolerance = (absolute: 1e-5, relative: 1e-5)

    private mutating func logSoftmaxForward(_ rows: Int, _ classes: Int) throws -> KernelCheckResult {
        // Logits up to ±30 would overflow exp without the row maximum subtracted.
        let z = floats(rows * classes, scale: 30)
        let out = try GuardedOutput<Float>(context: context, count: rows * classes)
        let seconds = try timed { try library.logSoftmaxForward(rows: rows, classes: classes, z: input(z), logp: out.buffer) }
        return try compare(kernel: "log_softmax_forward", sizes: "\(rows)×\(classes)", output: out,
                           expected: Reference.logSoftmaxForward(z, rows: rows, classes: classes),
                           absolute: Self.softmaxTolerance.absolute, relative: Self.softmaxTolerance.relative,
                           seconds: seconds)
    }

    /// Labels of a dataset a few samples larger than the batch, reached through a shuffled order from a nonzero
    /// offset as in training, and the batch's labels as the twins take them.
    mutating func batchLabels(_ rows: Int, _ classes: Int)
        -> (labels: [UInt8], order: [Int32], offset: Int, batchLabels: [UInt8]) {
        let offset = 5
        let labels = bytes(rows + offset, below: classes), order = order(rows + offset)
        return (labels, order, offset, (0..<rows).map { labels[Int(order[offset + $0])] })
    }

    /// Log-probabilities of random logits, and labels as `batchLabels` makes them.
    private mutating func lossInputs(_ rows: Int, _ classes: Int) -> (logp: [Float], labels: [UInt8], order: [Int32], offset: Int, batchLabels: [UInt8]) {
        let logp = Reference.logSoftmaxForward(floats(rows * classes, scale: 5), rows: rows, classes: classes)
        let (labels, order, offset, batchLabels) = batchLabels(rows, classes)
        return (logp, labels, order, offset, batchLabels)
    }

    private mutating func nllLoss(_ rows: Int, _ classes: Int) throws -> KernelCheckResult {
        let (logp, labels, order, offset, batchLabels) = lossInputs(rows, classes)
        let slot = 2
        let out = try GuardedOutput<Float>(context: context, count: slot + 1)
        try out.buffer.write([0, 0], at: 0)  // slots before ours are someone else's; only `slot` may change
        let seconds = try timed {
            try library.nllLoss(rows: rows, classes: classes, logp: input(logp), labels: input(labels),
                                order: input(order), offset: offset, losses: out.buffer, slot: slot)
        }
        let expected: [Float] = [0, 0, Reference.nllLoss(logProbabilities: logp, labels: batchLabels, rows: rows, classes: classes)]
        // A mean of `rows` values of a few units, summed in a different order.
        return try compare(kernel: "nll_loss", sizes: "\(rows)×\(classes)", output: out, expected: expected,
                           absolute: 1e-6, relative: 1e-5, seconds: seconds)
    }

    private mutating func nllLogSoftmaxBackward(_ rows: Int, _ classes: Int) throws -> KernelCheckResult {
        let (logp, labels, order, offset, batchLabels) = lossInputs(rows, classes)
        let out = try GuardedOutput<Float>(context: context, count: rows * classes)
        let seconds = try timed {
            try library.nllLogSoftmaxBackward(rows: rows, classes: classes, logp: input(logp), labels: input(labels),
                                              order: input(order), offset: offset, dz: out.buffer)
        }
        let expected = Reference.nllLogSoftmaxBackward(logProbabilities: logp, labels: batchLabels, rows: rows, classes: classes)
        return try compare(kernel: "nll_log_softmax_backward", sizes: "\(rows)×\(classes)", output: out,
                           expected: expected, absolute: Self.softmaxTolerance.absolute / Double(rows),
                           relative: Self.softmaxTolerance.relative, seconds: seconds)
    }

    private mutating func argmax(_ rows: Int, _ classes: Int) throws -> KernelCheckResult {
        let z = floats(rows * classes)
        let out = try GuardedOutput<Int32>(context: context, count: rows)
        let seconds = try timed { try library.argmax(rows: rows, classes: classes, z: input(z), predictions: out.buffer) }
        // Class indices: exact.
        return try compare(kernel: "argmax", sizes: "\(rows)×\(classes)", output: out,
                           expected: Reference.argmax(z, rows: rows, classes: classes), absolute: 0, relative: 0,
                           seconds: seconds)
    }

    private mutating func countCorrect(_ rows: Int) throws -> KernelCheckResult {
        let (labels, order, offset, batchLabels) = batchLabels(rows, 10)
        // About half right, so a kernel that counts everything or nothing fails.
        let predictions: [Int32] = batchLabels.map { Bool.random(using: &random) ? Int32($0) : Int32(($0 + 1) % 10) }
        let out = try GuardedOutput<Int32>(context: context, count: 1)
        let seconds = try timed {
            try library.countCorrect(rows: rows, predictions: input(predictions), labels: input(labels),
                                     order: input(order), offset: offset, correct: out.buffer, slot: 0)
        }
        let expected = Int32(Reference.countCorrect(predictions: predictions, labels: batchLabels))
        return try compare(kernel: "count_correct", sizes: "\(rows)", output: out, expected: [expected], absolute: 0,
                           relative: 0, seconds: seconds)
    }
}

extension KernelCheckResult {
    /// One result for a kernel with several outputs: the worst errors, every failure.
    func merging(_ other: KernelCheckResult) -> KernelCheckResult {
        KernelCheckResult(kernel: kernel, variant: variant, sizes: sizes, maxAbsoluteError: max(maxAbsoluteError, other.maxAbsoluteError),
                          maxRelativeError: max(maxRelativeError, other.maxRelativeError),
                          failures: failures + other.failures, seconds: seconds)
    }
}

// MARK: - Coverage

extension KernelChecks {
    /// Every `__kernel` the sources define, by name.
    public static func definedKernels(in sources: [String: String] = Kernels.sources) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: #"__kernel\s+(?:__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)\s*)?void\s+(\w+)"#)
        return Set(sources.values.flatMap { source in
            pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)).compactMap {
                Range($0.range(at: 1), in: source).map { String(source[$0]) }
            }
        })
    }

    /// The kernels no check launches: every check runs at its small sizes with each launch recorded. Empty when
    /// every kernel of `Kernels/` is held to its twin by `selftest`.
    public static func kernelsWithoutChecks(context: Context, sources: [String: String] = Kernels.sources) throws -> [String] {
        let library = try KernelLibrary(context: context, sources: sources)
        library.recorder = LaunchRecorder(waitsForEachLaunch: true)
        var checks = KernelChecks(library: library, seed: 1, small: true)
        _ = try checks.runAll()
        try context.finish()
        let launched = Set(library.recorder!.launches.map(\.kernel))
        return definedKernels(in: sources).subtracting(launched).sorted()
    }
}
