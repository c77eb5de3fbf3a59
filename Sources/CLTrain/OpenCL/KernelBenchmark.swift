import CLKit
import Foundation

/// One kernel timed at one training shape: the median of many launches, from profiling events (or the wall
/// clock where the device's counters are implausible: see `Context.measure`).
public struct KernelTiming: Encodable, Sendable {
    public let kernel: String
    public let shape: String
    public let seconds: Double
    /// Arithmetic rate for the matrix products, memory rate for the rest.
    public let gigaflopsPerSecond: Double?
    public let gigabytesPerSecond: Double?
    public let timing: TimingSource
}

/// Times every kernel a training step launches, at the shapes the step launches it with.
public struct KernelBenchmark {
    public let library: KernelLibrary
    public let architecture: Architecture
    public let batchSize: Int

    public init(library: KernelLibrary, architecture: Architecture, batchSize: Int) {
        precondition(library.context.profiling, "kernel timings need a profiling context")
        self.library = library
        self.architecture = architecture
        self.batchSize = batchSize
    }

    /// The median device time of `repeats` launches of each kernel, after one untimed launch.
    public func run(repeats: Int = 50) throws -> [KernelTiming] {
        let context = library.context, b = batchSize, sizes = architecture.sizes
        func buffer(_ count: Int) throws -> Buffer<Float> {
            try Buffer(context: context, values: (0..<count).map { Float($0 % 17) / 17 - 0.5 })
        }
        func time(_ kernel: String, _ shape: String, flops: Double? = nil, bytes: Double? = nil,
                  _ launch: () throws -> Event?) throws -> KernelTiming {
            _ = try launch()
            var seconds: [Double] = []
            for _ in 0..<repeats { seconds.append(try context.measure(launch)) }
            let median = seconds.sorted()[seconds.count / 2]
            return KernelTiming(kernel: kernel, shape: shape, seconds: median,
                                gigaflopsPerSecond: flops.map { $0 / median / 1e9 },
                                gigabytesPerSecond: bytes.map { $0 / median / 1e9 }, timing: context.timing)
        }

        var timings: [KernelTiming] = []
        let samples = 1000
        let images = try Buffer<UInt8>(context: context, values: (0..<(samples * sizes[0])).map { UInt8($0 % 251) })
        let labels = try Buffer<UInt8>(context: context, values: (0..<samples).map { UInt8($0 % 10) })
        let order = try Buffer<Int32>(context: context, values: (0..<Int32(samples)).reversed())
        let activations = try sizes.map { try buffer(b * $0) }
        timings.append(try time("gather_normalize", "\(b)×\(sizes[0])", bytes: Double(b * sizes[0] * 5)) {
            try library.gatherNormalize(images: images, order: order, offset: 0, rows: b, features: sizes[0],
                                        normalization: .lesson, x: activations[0])
        })
        let weights = try (0..<architecture.layerCount).map { try buffer(architecture.outputs($0) * architecture.inputs($0)) }
        let biases = try (0..<architecture.layerCount).map { try buffer(architecture.outputs($0)) }
        for l in 0..<architecture.layerCount {
            let (i, o) = (sizes[l], sizes[l + 1])
            let flops = 2.0 * Double(b * i * o)
            timings.append(try time("matmul_forward", "\(b)×\(i)→\(o)", flops: flops) {
                try library.matmulForward(rows: b, inputs: i, outputs: o, x: activations[l], weight: weights[l],
                                          bias: biases[l], y: activations[l + 1], relu: l < architecture.layerCount - 1)
            })
        }
        let deltas = try sizes.map { try buffer(b * $0) }
        let losses = try buffer(1)
        timings.append(try time("log_softmax_nll", "\(b)×\(architecture.classes)", bytes: Double(b * architecture.classes * 8)) {
            try library.logSoftmaxNLL(rows: b, classes: architecture.classes, z: activations.last!, labels: labels,
                                      order: order, offset: 0, losses: losses, slot: 0, dz: deltas.last!)
        })
        let weightGradients = try weights.map { try buffer($0.count) }, biasGradients = try biases.map { try buffer($0.count) }
        for l in stride(from: architecture.layerCount - 1, through: 0, by: -1) {
            let (i, o) = (sizes[l], sizes[l + 1])
            let flops = 2.0 * Double(b * i * o)
            if l > 0 {
                timings.append(try time("matmul_backward_input", "\(b)×\(o)→\(i)", flops: flops) {
                    try library.matmulBackwardInput(rows: b, inputs: i, outputs: o, dy: deltas[l + 1], weight: weights[l],
                                                    activation: activations[l], dx: deltas[l])
                })
            }
            timings.append(try time("matmul_backward_weight", "\(o)×\(b)→\(i)", flops: flops) {
                try library.matmulBackwardWeight(rows: b, inputs: i, outputs: o, dy: deltas[l + 1], x: activations[l],
                                                 dw: weightGradients[l], db: biasGradients[l])
            })
        }
        let count = architecture.parameterCount
        let parameters = try buffer(count), gradients = try buffer(count)
        timings.append(try time("sgd_update", "\(count)", bytes: Double(count * 12)) {
            try library.sgdUpdate(count: count, parameters: parameters, gradients: gradients, velocity: gradients,
                                  config: OptimizerConfig(learningRate: 1e-9))
        })
        return timings
    }
}
