import CLKit

extension MaxPool2d {
    public static let kernelChecks = [
        KernelCheckEntry("maxpool2d_forward") { checks in try checks.maxPool2dShapes.map { try checks.maxPool2dForward($0) } },
        KernelCheckEntry("maxpool2d_backward") { checks in try checks.maxPool2dShapes.map { try checks.maxPool2dBackward($0) } },
    ]
}

/// Checks of the max-pooling kernels against their twins.
extension KernelChecks {
    /// A 1×1 image, overlapping windows (kernel 3, stride 2), a window as large as the image, odd plane counts,
    /// and the two poolings of LeNet-5 at batch 64.
    static let maxPool2dShapes = [
        MaxPool2dShape(batch: 1, channels: 1, height: 1, width: 1, kernel: 1),
        MaxPool2dShape(batch: 3, channels: 5, height: 7, width: 9, kernel: 3, stride: 2),
        MaxPool2dShape(batch: 2, channels: 3, height: 9, width: 8, kernel: 2, stride: 3),
        MaxPool2dShape(batch: 1, channels: 7, height: 5, width: 5, kernel: 5),
        MaxPool2dShape(batch: 64, channels: 6, height: 28, width: 28, kernel: 2),
        MaxPool2dShape(batch: 64, channels: 16, height: 10, width: 10, kernel: 2),
        // 2×2 windows over odd rows: a vector load past a row's end, and the last plane's last row without one
        MaxPool2dShape(batch: 2, channels: 3, height: 7, width: 37, kernel: 2),
    ]

    var maxPool2dShapes: [MaxPool2dShape] { sized(Self.maxPool2dShapes) { $0.inputCount } }

    /// Ties in the windows: every third input 0, and a ReLU's zeros (half the rest), so the first of equal maxima is
    /// checked, not only distinct values. (A NaN cannot be: the outputs are poisoned with NaN before the kernel runs.)
    mutating func maxPool2dForward(_ shape: MaxPool2dShape) throws -> KernelCheckResult {
        let x = floats(shape.inputCount).enumerated().map { $0 % 3 == 0 ? 0 : max($1, 0) }
        let y = try GuardedOutput<Float>(context: context, count: shape.outputCount)
        let indices = try GuardedOutput<Int32>(context: context, count: shape.outputCount)
        let seconds = try timed { try library.maxPool2dForward(shape: shape, x: input(x), y: y.buffer, indices: indices.buffer) }
        let expected = Reference.maxPool2dForward(x: x, shape: shape)
        // A maximum and its position are picked, not computed: exact.
        return try compare(kernel: "maxpool2d_forward", sizes: "\(shape)", output: y, expected: expected.y,
                           absolute: 0, relative: 0, seconds: seconds)
            .merging(compare(kernel: "maxpool2d_forward", sizes: "\(shape)", output: indices, expected: expected.indices,
                             absolute: 0, relative: 0, seconds: seconds))
    }

    mutating func maxPool2dBackward(_ shape: MaxPool2dShape) throws -> KernelCheckResult {
        let indices = Reference.maxPool2dForward(x: floats(shape.inputCount), shape: shape).indices
        let dy = floats(shape.outputCount)
        let dx = try GuardedOutput<Float>(context: context, count: shape.inputCount)
        let seconds = try timed {
            try library.maxPool2dBackward(shape: shape, dy: input(dy), indices: input(indices), dx: dx.buffer)
        }
        // Each input sums the gradients routed to it in the twin's order, (oh, ow) ascending from 0: exact.
        return try compare(kernel: "maxpool2d_backward", sizes: "\(shape)", output: dx,
                           expected: Reference.maxPool2dBackward(dy: dy, indices: indices, shape: shape),
                           absolute: 0, relative: 0, seconds: seconds)
    }
}
