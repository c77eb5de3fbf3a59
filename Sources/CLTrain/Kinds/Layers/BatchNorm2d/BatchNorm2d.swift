/// `batchnorm2d(eps=1e-5, momentum=0.1)`: `nn.BatchNorm2d(C)` with `affine=True`, the channels taken from the input.
/// Training normalizes each channel by its batch statistics (biased variance) and moves the running statistics
/// toward them (unbiased variance); evaluation normalizes by the running statistics.
public struct BatchNorm2d: BatchNormalization {
    public static let name = "batchnorm2d"
    public static let syntax = "batchnorm2d(eps=1e-5, momentum=0.1)"
    public static let summary = "nn.BatchNorm2d over each channel of an image; running statistics as buffers"
    public static let examples = ["batchnorm2d", "batchnorm2d(eps=0.001, momentum=0.3)"]
    public let settings: BatchNormSettings

    public init(settings: BatchNormSettings = .pytorch) { self.settings = settings }

    public func channels(of input: Shape) throws -> (channels: Int, spatial: Int) {
        guard let (channels, height, width) = input.image else {
            throw LayerShapeError("needs an image (channels×height×width) but gets \(input); use batchnorm1d on flat inputs")
        }
        return (channels, height * width)
    }
}

/// A batch norm's two settings, as `nn.BatchNorm1d`/`nn.BatchNorm2d` take them by name.
public struct BatchNormSettings: Equatable, Sendable {
    public let eps: Float, momentum: Float

    public init(eps: Float, momentum: Float) { (self.eps, self.momentum) = (eps, momentum) }

    /// `nn.BatchNorm2d`'s defaults.
    public static let pytorch = BatchNormSettings(eps: 1e-5, momentum: 0.1)

    init(_ arguments: inout LayerArguments) throws {
        eps = try arguments.take("eps", default: 1e-5, where: { $0 > 0 && $0 <= 1 }, "a number in (0, 1]")
        momentum = try arguments.take("momentum", default: 0.1, where: { $0 >= 0 && $0 <= 1 }, "a number from 0 to 1")
    }

    /// `name`, or `name(eps=…, momentum=…)` with the settings that differ from PyTorch's defaults.
    func spec(_ name: String) -> String {
        let arguments = (eps == 1e-5 ? [] : ["eps=\(eps)"]) + (momentum == 0.1 ? [] : ["momentum=\(momentum)"])
        return arguments.isEmpty ? name : "\(name)(\(arguments.joined(separator: ", ")))"
    }
}

/// A layer that normalizes each channel over the batch: `batchnorm2d` and `batchnorm1d` share the twin, the native
/// code and the kernels of `Kernels/batchnorm2d.cl`, and differ only in what they call a channel.
public protocol BatchNormalization: Layer {
    var settings: BatchNormSettings { get }
    init(settings: BatchNormSettings)
    /// The channels of `input` and the values each holds per sample, or why it cannot be normalized.
    func channels(of input: Shape) throws -> (channels: Int, spatial: Int)
}

extension BatchNormalization {
    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        let settings = try BatchNormSettings(&arguments)
        try arguments.finish()
        self.init(settings: settings)
    }

    public var description: String { settings.spec(Self.name) }
    /// `nn.BatchNorm…(16)` states the channels, which are checked against the input's.
    public static var inputArgument: String? { "num_features" }

    public func outputShape(for input: Shape) throws -> Shape {
        _ = try channels(of: input)
        return input
    }

    /// The sizes the twins and kernels take for `batch` samples of a stage's input (the model checked it).
    func shape(_ input: Shape, batch: Int) -> BatchNormShape {
        let (channels, spatial) = try! self.channels(of: input)
        return BatchNormShape(batch: batch, channels: channels, spatial: spatial, eps: settings.eps, momentum: settings.momentum)
    }

    public var absorbsReLU: Bool { true }
    public func multiplyAdds(for input: Shape) -> Int { 2 * input.count }

    public func parameters(for input: Shape) -> [(name: String, shape: [Int])] {
        let channels = shape(input, batch: 1).channels
        return [("weight", [channels]), ("bias", [channels])]
    }

    /// `nn.BatchNorm`'s: weight 1, bias 0.
    public func initialValues(for input: Shape, using generator: inout SeededGenerator) -> [Float] {
        let channels = shape(input, batch: 1).channels
        return [Float](repeating: 1, count: channels) + [Float](repeating: 0, count: channels)
    }

    public func buffers(for input: Shape) -> [LayerBuffer] {
        let channels = shape(input, batch: 1).channels
        return [LayerBuffer("running_mean", shape: [channels], initial: 0), LayerBuffer("running_var", shape: [channels], initial: 1),
                LayerBuffer("num_batches_tracked", shape: [], initial: nil)]
    }

    /// PyTorch's refusal: the variance of one value is undefined (and its unbiased estimate divides by zero).
    public func trainingBatchProblem(rows: Int, input: Shape) -> String? {
        guard rows * shape(input, batch: 1).spatial <= 1 else { return nil }
        return "expected more than 1 value per channel when training, got input size [\(([rows] + input.dimensions).map(String.init).joined(separator: ", "))]"
    }

    /// The mean and inverse standard deviation of each channel that a training forward pass saves for its backward
    /// pass; natively also two run sums per sample of a training batch and channel, and two values per channel for
    /// each host worker.
    public func scratchValues(for input: Shape, batch: Int, rows: Int, native: Bool) -> Int {
        let channels = shape(input, batch: 1).channels
        return 2 * channels + (native ? 2 * (shape(input, batch: batch).batch + hostWorkers) * channels : 0)
    }

    public func referenceOperation(_ stage: Stage) -> ReferenceOperation {
        ReferenceBatchNorm(stage: stage, shape: { self.shape(stage.input, batch: $0) })
    }

    public static var kernelChecks: [KernelCheckEntry] { batchNormChecks }
}

private struct ReferenceBatchNorm: ReferenceOperation {
    let stage: Stage, shape: (Int) -> BatchNormShape

    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] {
        let s = shape(rows), c = s.channels, p = parameters.startIndex, b = buffers.startIndex
        var runningMean = Array(buffers[b..<(b + c)]), runningVar = Array(buffers[(b + c)..<(b + 2 * c)])
        let y = Reference.batchNormForward(x: x, weight: Array(parameters[p..<(p + c)]), bias: Array(parameters[(p + c)...]),
                                           runningMean: &runningMean, runningVar: &runningVar, shape: s,
                                           training: pass != .evaluation, relu: stage.relu)
        buffers.replaceSubrange(buffers.indices, with: runningMean + runningVar)
        return y
    }

    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) {
        let s = shape(rows)
        let (dx, dWeight, dBias) = Reference.batchNormBackward(x: x, dy: dy, weight: Array(parameters.prefix(s.channels)), shape: s,
                                                               reluOutput: stage.maskInputGradient ? x : nil)
        return (stage.needsInputGradient ? dx : nil, dWeight + dBias)
    }
}
