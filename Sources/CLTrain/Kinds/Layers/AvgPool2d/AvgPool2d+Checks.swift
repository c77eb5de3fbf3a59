import CLKit

/// Rows for `avgpool2d` and `adaptiveavgpool2d`, which share the kernels.
let averagePoolingChecks = [
    KernelCheckEntry("avgpool2d_forward") { checks in try checks.avgPool2dShapes.map { try checks.avgPool2dForward($0) } },
    KernelCheckEntry("avgpool2d_backward") { checks in
        try checks.avgPool2dShapes.enumerated().map { try checks.avgPool2dBackward($1, masked: $0 % 2 == 1) }
    },
]

extension KernelChecks {
    /// A 1×1 image, overlapping windows (kernel 3, stride 2), skipped pixels (stride 3 over kernel 2), a
    /// non-square global window, and ResNet-8's global pooling of 64 channels of 7×7 at batch 128.
    static let avgPool2dShapes = [
        AvgPool2dShape(batch: 1, channels: 1, height: 1, width: 1, kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1),
        AvgPool2dShape(batch: 3, channels: 5, height: 7, width: 9, kernelHeight: 3, kernelWidth: 3, strideHeight: 2, strideWidth: 2),
        AvgPool2dShape(batch: 2, channels: 3, height: 9, width: 8, kernelHeight: 2, kernelWidth: 2, strideHeight: 3, strideWidth: 3),
        AvgPool2dShape(batch: 5, channels: 7, height: 5, width: 3, kernelHeight: 5, kernelWidth: 3, strideHeight: 5, strideWidth: 3),
        AvgPool2dShape(batch: 128, channels: 64, height: 7, width: 7, kernelHeight: 7, kernelWidth: 7, strideHeight: 7, strideWidth: 7),
    ]
    var avgPool2dShapes: [AvgPool2dShape] { sized(Self.avgPool2dShapes) { $0.inputCount } }

    /// A sum of at most `windowSize` values and one division: a few roundings, in the same order as the twin.
    mutating func avgPool2dForward(_ shape: AvgPool2dShape) throws -> KernelCheckResult {
        let x = floats(shape.inputCount)
        let y = try GuardedOutput<Float>(context: context, count: shape.outputCount)
        let seconds = try timed { try library.avgPool2dForward(shape: shape, x: input(x), y: y.buffer) }
        return try compare(kernel: "avgpool2d_forward", sizes: "\(shape)", output: y,
                           expected: Reference.avgPool2dForward(x: x, shape: shape), absolute: 1e-6, relative: 1e-5,
                           seconds: seconds)
    }

    /// The kernel gathers and divides once, the twin scatters: the sums of a few values may round differently.
    mutating func avgPool2dBackward(_ shape: AvgPool2dShape, masked: Bool) throws -> KernelCheckResult {
        let dy = floats(shape.outputCount), x = floats(shape.inputCount).map { max($0, 0) }
        let dx = try GuardedOutput<Float>(context: context, count: shape.inputCount)
        let seconds = try timed {
            try library.avgPool2dBackward(shape: shape, dy: input(dy), x: input(x), mask: masked, dx: dx.buffer)
        }
        return try compare(kernel: "avgpool2d_backward", sizes: "\(shape)\(masked ? " +mask" : "")", output: dx,
                           expected: Reference.avgPool2dBackward(dy: dy, shape: shape, reluOutput: masked ? x : nil),
                           absolute: 1e-6, relative: 1e-5, seconds: seconds)
    }
}
