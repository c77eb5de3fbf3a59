import CLKit
import Foundation

/// Checks of the convolution and max-pooling kernels against their twins. The backward pass's two kernels are
/// checked as one row, `conv2d_backward`, whose time is the sum of its launches.
extension KernelChecks {
    /// Degenerate, odd and LeNet-5 shapes: a 1×1 image with and without padding, a kernel larger than its stride
    /// (overlapping windows), a stride larger than its kernel (skipped pixels), odd channel counts, and the two
    /// convolutions of LeNet-5 at batch 64.
    static let conv2dShapes = [
        Conv2dShape(batch: 1, inChannels: 1, height: 1, width: 1, outChannels: 1, kernel: 1),
        Conv2dShape(batch: 2, inChannels: 3, height: 1, width: 1, outChannels: 5, kernel: 3, padding: 1),
        Conv2dShape(batch: 3, inChannels: 3, height: 9, width: 7, outChannels: 5, kernel: 3, stride: 2, padding: 1),
        Conv2dShape(batch: 2, inChannels: 2, height: 8, width: 11, outChannels: 7, kernel: 2, stride: 3),
        Conv2dShape(batch: 5, inChannels: 7, height: 6, width: 5, outChannels: 33, kernel: 4, padding: 2),
        Conv2dShape(batch: 64, inChannels: 1, height: 28, width: 28, outChannels: 6, kernel: 5, padding: 2),
        Conv2dShape(batch: 64, inChannels: 6, height: 14, width: 14, outChannels: 16, kernel: 5),
    ]

    /// A 1×1 image, overlapping windows (kernel 3, stride 2), a window as large as the image, odd plane counts,
    /// and the two poolings of LeNet-5 at batch 64.
    var conv2dShapes: [Conv2dShape] { sized(Self.conv2dShapes) { $0.patchCount * $0.patchSize * $0.outChannels } }
    var maxPool2dShapes: [MaxPool2dShape] { sized(Self.maxPool2dShapes) { $0.inputCount } }

    static let maxPool2dShapes = [
        MaxPool2dShape(batch: 1, channels: 1, height: 1, width: 1, kernel: 1),
        MaxPool2dShape(batch: 3, channels: 5, height: 7, width: 9, kernel: 3, stride: 2),
        MaxPool2dShape(batch: 2, channels: 3, height: 9, width: 8, kernel: 2, stride: 3),
        MaxPool2dShape(batch: 1, channels: 7, height: 5, width: 5, kernel: 5),
        MaxPool2dShape(batch: 64, channels: 6, height: 28, width: 28, kernel: 2),
        MaxPool2dShape(batch: 64, channels: 16, height: 10, width: 10, kernel: 2),
    ]

    /// Runs the launches of a sequence, waits, and returns their summed device time (host time without profiling).
    func timedSequence(_ launches: () throws -> [Event]) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let events = try launches()
        try context.finish()
        if events.isEmpty { return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        return try events.reduce(0) { $0 + (try $1.seconds()) }
    }

    mutating func conv2dForward(_ shape: Conv2dShape, relu: Bool) throws -> KernelCheckResult {
        let x = floats(shape.inputCount), w = floats(shape.weightCount), b = floats(shape.outChannels)
        let out = try GuardedOutput<Float>(context: context, count: shape.outputCount)
        let seconds = try timed {
            try library.conv2dForward(shape: shape, x: input(x), weight: input(w), bias: input(b), y: out.buffer, relu: relu)
        }
        let tolerance = dotTolerance(shape.patchSize)
        return try compare(kernel: "conv2d_forward", sizes: "\(shape)\(relu ? " +relu" : "")", output: out,
                           expected: Reference.conv2dForward(x: x, weight: w, bias: b, shape: shape, relu: relu),
                           absolute: tolerance.absolute, relative: tolerance.relative, seconds: seconds)
    }

    /// The weight, bias and (masked or not) input gradients of one backward sequence
    /// (conv2d_backward_weight, conv2d_backward_input), each against its twin.
    mutating func conv2dBackward(_ shape: Conv2dShape, masked: Bool) throws -> KernelCheckResult {
        let x = floats(shape.inputCount), w = floats(shape.weightCount), dy = floats(shape.outputCount)
        // A ReLU output as the layer's input: about half zeros, the rest positive.
        let activation = floats(shape.inputCount).map { max($0, 0) }
        let dw = try GuardedOutput<Float>(context: context, count: shape.weightCount)
        let db = try GuardedOutput<Float>(context: context, count: shape.outChannels)
        let dx = try GuardedOutput<Float>(context: context, count: shape.inputCount)
        let (xBuffer, wBuffer, dyBuffer) = (try input(x), try input(w), try input(dy))
        let activationBuffer = masked ? try input(activation) : nil
        let seconds = try timedSequence {
            try library.conv2dBackward(shape: shape, dy: dyBuffer, x: xBuffer, weight: wBuffer, dw: dw.buffer,
                                       db: db.buffer, dx: dx.buffer, activation: activationBuffer)
        }
        let (kernel, sizes) = ("conv2d_backward", "\(shape)\(masked ? " +mask" : "")")
        let sums = dotTolerance(shape.patchCount)
        // An input pixel gathers at most outChannels · kernel² products.
        let taps = dotTolerance(shape.outChannels * shape.kernel * shape.kernel)
        let expectedDx = Reference.conv2dBackwardInput(dy: dy, weight: w, shape: shape, reluOutput: masked ? activation : nil)
        return try compare(kernel: kernel, sizes: sizes, output: dw,
                           expected: Reference.conv2dBackwardWeight(dy: dy, x: x, shape: shape),
                           absolute: sums.absolute, relative: sums.relative, seconds: seconds)
            .merging(compare(kernel: kernel, sizes: sizes, output: db,
                             expected: Reference.conv2dBackwardBias(dy: dy, shape: shape),
                             absolute: sums.absolute, relative: sums.relative, seconds: seconds))
            .merging(compare(kernel: kernel, sizes: sizes, output: dx, expected: expectedDx,
                             absolute: taps.absolute, relative: taps.relative, seconds: seconds))
    }

    mutating func maxPool2dForward(_ shape: MaxPool2dShape) throws -> KernelCheckResult {
        let x = floats(shape.inputCount)
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
