import CLKit

/// Rows for `batchnorm2d` and `batchnorm1d`, which share the kernels.
let batchNormChecks = [
    KernelCheckEntry("batchnorm_forward") { checks in
        try checks.batchNormShapes.enumerated().flatMap { index, shape in
            [try checks.batchNormForward(shape, training: true, relu: index % 2 == 0),
             try checks.batchNormForward(shape, training: false, relu: index % 2 == 1)]
        }
    },
    KernelCheckEntry("batchnorm_backward") { checks in
        try checks.batchNormShapes.enumerated().map { try checks.batchNormBackward($1, masked: $0 % 2 == 1) }
    },
]

extension KernelChecks {
    /// Two values per channel (the fewest training allows, where the biased and unbiased variances differ most), flat
    /// features, odd planes, fewer values per sample than a work-group (7×7), more (9×13), and ResNet-8's first
    /// normalization at batch 128 (16 channels of 28×28).
    static let batchNormShapes = [
        BatchNormShape(batch: 2, channels: 1, spatial: 1),
        BatchNormShape(batch: 7, channels: 5, spatial: 1, eps: 1e-3, momentum: 0.3),
        BatchNormShape(batch: 3, channels: 4, spatial: 63),
        BatchNormShape(batch: 2, channels: 3, spatial: 49),
        BatchNormShape(batch: 5, channels: 2, spatial: 117),
        BatchNormShape(batch: 128, channels: 16, spatial: 784),
    ]
    var batchNormShapes: [BatchNormShape] { sized(Self.batchNormShapes) { $0.count } }

    /// The twin sums in Double, the kernel in Float across a work-group: the mean and variance may differ by a few
    /// roundings of sums of n values, which moves each output by about as much relative to its scale.
    private func batchNormTolerance(_ shape: BatchNormShape) -> (absolute: Double, relative: Double) {
        (2e-6 * Double(shape.perChannel).squareRoot() + 1e-6, 1e-4)
    }

    /// The output and both running statistics of one pass; evaluation must leave the statistics as they were.
    mutating func batchNormForward(_ shape: BatchNormShape, training: Bool, relu: Bool) throws -> KernelCheckResult {
        let x = floats(shape.count, scale: 2).map { $0 + 0.5 }, weight = floats(shape.channels), bias = floats(shape.channels)
        var runningMean = floats(shape.channels), runningVar = floats(shape.channels).map { 1.25 + $0 }
        let y = try GuardedOutput<Float>(context: context, count: shape.count)
        let mean = try GuardedOutput<Float>(context: context, initial: runningMean)
        let variance = try GuardedOutput<Float>(context: context, initial: runningVar)
        let saved = try input([Float](repeating: 0, count: 2 * shape.channels))
        let (weightBuffer, biasBuffer) = (try input(weight), try input(bias))
        let seconds = try timed {
            try library.batchNormForward(shape: shape, x: input(x), weightAndBias: [weightBuffer, biasBuffer],
                                         runningStatistics: [mean.buffer, variance.buffer], saved: saved, y: y.buffer,
                                         training: training, relu: relu)
        }
        let expected = Reference.batchNormForward(x: x, weight: weight, bias: bias, runningMean: &runningMean,
                                                  runningVar: &runningVar, shape: shape, training: training, relu: relu)
        let sizes = "\(shape) \(training ? "training" : "evaluation")\(relu ? " +relu" : "")"
        let (absolute, relative) = batchNormTolerance(shape)
        return try compare(kernel: "batchnorm_forward", sizes: sizes, output: y, expected: expected,
                           absolute: absolute, relative: relative, seconds: seconds)
            .merging(compare(kernel: "batchnorm_forward", sizes: sizes + " running_mean", output: mean, expected: runningMean,
                             absolute: absolute, relative: relative, seconds: seconds))
            .merging(compare(kernel: "batchnorm_forward", sizes: sizes + " running_var", output: variance, expected: runningVar,
                             absolute: absolute, relative: relative, seconds: seconds))
    }

    /// The weight, bias and input gradients after a training forward pass has saved the statistics.
    mutating func batchNormBackward(_ shape: BatchNormShape, masked: Bool) throws -> KernelCheckResult {
        // As the layer meets it: an absorbed ReLU's output when masked (about half zeros), any values otherwise.
        let x = masked ? floats(shape.count).map { max($0, 0) } : floats(shape.count, scale: 2)
        let weight = floats(shape.channels), dy = floats(shape.count)
        let (xBuffer, weightBuffer) = (try input(x), try input(weight))
        let saved = try input([Float](repeating: 0, count: 2 * shape.channels))
        try library.batchNormForward(shape: shape, x: xBuffer, weightAndBias: [weightBuffer, try input(floats(shape.channels))],
                                     runningStatistics: [try input(floats(shape.channels)), try input(floats(shape.channels))],
                                     saved: saved, y: try input([Float](repeating: 0, count: shape.count)), training: true, relu: false)
        let dWeight = try GuardedOutput<Float>(context: context, count: shape.channels)
        let dBias = try GuardedOutput<Float>(context: context, count: shape.channels)
        let dx = try GuardedOutput<Float>(context: context, count: shape.count)
        let dyBuffer = try input(dy)
        let seconds = try timed {
            try library.batchNormBackward(shape: shape, x: xBuffer, dy: dyBuffer, weight: weightBuffer, saved: saved,
                                          gradients: [dWeight.buffer, dBias.buffer], dx: dx.buffer, mask: masked)
        }
        let expected = Reference.batchNormBackward(x: x, dy: dy, weight: weight, shape: shape, reluOutput: masked ? x : nil)
        let sizes = "\(shape)\(masked ? " +mask" : "")"
        let (absolute, relative) = batchNormTolerance(shape), sums = dotTolerance(shape.perChannel)
        return try compare(kernel: "batchnorm_backward", sizes: sizes + " weight", output: dWeight, expected: expected.dWeight,
                           absolute: sums.absolute, relative: sums.relative, seconds: seconds)
            .merging(compare(kernel: "batchnorm_backward", sizes: sizes + " bias", output: dBias, expected: expected.dBias,
                             absolute: sums.absolute, relative: sums.relative, seconds: seconds))
            .merging(compare(kernel: "batchnorm_backward", sizes: sizes, output: dx, expected: expected.dx,
                             absolute: absolute, relative: relative, seconds: seconds))
    }
}
