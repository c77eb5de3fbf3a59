import CLKit
import Foundation

extension Conv2d {
    /// The backward pass's kernels are checked as one row, `conv2d_backward`, whose time is the sum of its launches.
    /// Every other shape slices the weight gradient's batch (conv2d_sum_slices), in each build by turns.
    public static let kernelChecks = [
        KernelCheckEntry("conv2d_forward") { checks in
            try checks.conv2dShapes.enumerated().map { try checks.conv2dForward($1, relu: $0 % 2 == 0) }
        },
        KernelCheckEntry("conv2d_backward") { checks in
            try checks.conv2dShapes.enumerated().map {
                try checks.conv2dBackward($1, masked: $0 % 2 == 1, slicedBuild: $0 % 2 == 1 ? $0 / 2 % blockings.count : nil)
            }
        },
    ]
}

/// Checks of the convolution kernels against their twins.
extension KernelChecks {
    /// Degenerate, odd and LeNet-5 shapes: a 1×1 image with and without padding, a kernel larger than its stride
    /// (overlapping windows), a stride larger than its kernel (skipped pixels), stride 2, odd channel counts, and
    /// the two convolutions of LeNet-5 at batch 64.
    static let conv2dShapes = [
        Conv2dShape(batch: 1, inChannels: 1, height: 1, width: 1, outChannels: 1, kernel: 1),
        Conv2dShape(batch: 2, inChannels: 3, height: 1, width: 1, outChannels: 5, kernel: 3, padding: 1),
        Conv2dShape(batch: 3, inChannels: 3, height: 9, width: 7, outChannels: 5, kernel: 3, stride: 2, padding: 1),
        Conv2dShape(batch: 2, inChannels: 2, height: 8, width: 11, outChannels: 7, kernel: 2, stride: 3),
        // stride 2 with rows of more than 16 outputs (a second vector a row) and ResNet's 1×1 projection: the taps
        // read as the even lanes of two vectors where they lie inside the buffer
        Conv2dShape(batch: 2, inChannels: 3, height: 9, width: 37, outChannels: 5, kernel: 3, stride: 2, padding: 1),
        Conv2dShape(batch: 3, inChannels: 4, height: 14, width: 14, outChannels: 6, kernel: 1, stride: 2),
        // 1×1 kernels flat (stride 1 on narrow rows) and row by row (stride 2, rows of 17 outputs), channel counts
        // that no build's blocks divide
        Conv2dShape(batch: 3, inChannels: 7, height: 5, width: 6, outChannels: 9, kernel: 1),
        Conv2dShape(batch: 2, inChannels: 5, height: 6, width: 34, outChannels: 4, kernel: 1, stride: 2),
        Conv2dShape(batch: 5, inChannels: 7, height: 6, width: 5, outChannels: 33, kernel: 4, padding: 2),
        // wider than the weight gradient's 5 taps a pass: a second pass of 2
        Conv2dShape(batch: 2, inChannels: 2, height: 9, width: 10, outChannels: 3, kernel: 7, padding: 3),
        // channels that fill the wider build's blocks (Conv2d.blockings) in every kernel; channels last
        Conv2dShape(batch: 2, inChannels: 16, height: 9, width: 9, outChannels: 32, kernel: 3, padding: 1),
        // a "same" convolution on rows narrower than a vector (flat), its input gradient masked
        Conv2dShape(batch: 3, inChannels: 5, height: 7, width: 7, outChannels: 6, kernel: 3, padding: 1),
        Conv2dShape(batch: 64, inChannels: 1, height: 28, width: 28, outChannels: 6, kernel: 5, padding: 2),
        Conv2dShape(batch: 64, inChannels: 6, height: 14, width: 14, outChannels: 16, kernel: 5),
        // Channels last (whole vectors of input channels), small enough for `small`: a 1×1 projection; stride 2 on
        // rows of more than 16 columns (two column blocks in conv2d_channels_last), sliced in a build whose pass of
        // 5 taps a 3×3 kernel fills 3 of; 32 channels in the widest build; a 5×5 kernel in two passes of it, sliced.
        Conv2dShape(batch: 2, inChannels: 16, height: 7, width: 6, outChannels: 9, kernel: 1, stride: 2),
        Conv2dShape(batch: 1, inChannels: 16, height: 3, width: 19, outChannels: 3, kernel: 3, stride: 2, padding: 1),
        Conv2dShape(batch: 1, inChannels: 32, height: 4, width: 4, outChannels: 8, kernel: 3, padding: 1),
        Conv2dShape(batch: 2, inChannels: 16, height: 4, width: 3, outChannels: 5, kernel: 5, padding: 2),
    ]

    /// Odd, and more than the smallest shapes' batches.
    static let slicesChecked = 3

    var conv2dShapes: [Conv2dShape] { sized(Self.conv2dShapes) { $0.patchCount * $0.patchSize * $0.outChannels } }


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
    /// (conv2d_backward_weight, conv2d_backward_input), each against its twin. With `slicedBuild`, the weight
    /// gradient runs that build with the batch in `slicesChecked` slices, more than some shapes have images (a slice
    /// with none), unless a choice is already forced (the tuner's check of it; a sliced one is given room here).
    mutating func conv2dBackward(_ shape: Conv2dShape, masked: Bool, slicedBuild: Int? = nil) throws -> KernelCheckResult {
        let x = floats(shape.inputCount), w = floats(shape.weightCount), dy = floats(shape.outputCount)
        // A ReLU output as the layer's input: about half zeros, the rest positive.
        let activation = floats(shape.inputCount).map { max($0, 0) }
        let dw = try GuardedOutput<Float>(context: context, count: shape.weightCount)
        let db = try GuardedOutput<Float>(context: context, count: shape.outChannels)
        let dx = try GuardedOutput<Float>(context: context, count: shape.inputCount)
        let (xBuffer, wBuffer, dyBuffer) = (try input(x), try input(w), try input(dy))
        let activationBuffer = masked ? try input(activation) : nil
        let weightKernel = Conv2d.weightKernel(shape, channelsLast: true), forced = library.forcedGrid
        let slices = max(forced?.kernel == weightKernel ? forced?.choice.slices ?? 1 : 1, Self.slicesChecked)
        let partials = try Buffer<Float>(context: context, count: slices * (shape.weightCount + shape.outChannels))
        // Filled with NaN, as a reused scratch might hold: the copy must write its border too.
        let copy = Conv2d.channelsLastCount(shape)
        let channelsLast = copy > 0 ? try Buffer(context: context, values: [Float](repeating: .nan, count: copy)) : nil
        if forced == nil, let slicedBuild { library.forcedGrid = (weightKernel, GridChoice(variant: slicedBuild, slices: slices)) }
        defer { library.forcedGrid = forced }
        let seconds = try timedSequence {
            try library.conv2dBackward(shape: shape, dy: dyBuffer, x: xBuffer, weight: wBuffer, dw: dw.buffer,
                                       db: db.buffer, dx: dx.buffer, activation: activationBuffer, partials: partials,
                                       channelsLast: channelsLast)
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
}
