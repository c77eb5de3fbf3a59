import Testing
@testable import CLTrain

/// The native operations against their twins at odd shapes, a ResNet-8-like one (3×3, padding 1, stride 1) and the
/// LeNet-5 shapes (batch 3 keeps the twins quick; batch 9 of the first spans two patch-matrix chunks of 6 samples,
/// the last one partial), on one worker and on three (parts of unequal size, each with its own scratch and gradient
/// sums; more workers than samples too). The backward pass runs both on the patch matrices the forward pass kept and
/// on ones it builds itself.
@Test(arguments: [
    Conv2dShape(batch: 3, inChannels: 3, height: 9, width: 7, outChannels: 5, kernel: 3, stride: 2, padding: 1),
    Conv2dShape(batch: 2, inChannels: 2, height: 8, width: 11, outChannels: 7, kernel: 2, stride: 3),
    Conv2dShape(batch: 2, inChannels: 3, height: 1, width: 1, outChannels: 5, kernel: 3, padding: 1),
    Conv2dShape(batch: 3, inChannels: 4, height: 6, width: 9, outChannels: 5, kernel: 3, padding: 1),
    Conv2dShape(batch: 9, inChannels: 1, height: 28, width: 28, outChannels: 6, kernel: 5, padding: 2),
    Conv2dShape(batch: 3, inChannels: 6, height: 14, width: 14, outChannels: 16, kernel: 5),
], [1, 3])
func conv2dNativeAgreesWithReference(shape: Conv2dShape, workers: Int) throws {
    try OpenBLAS.load()
    var generator = seededGenerator()
    let x = randomFloats(shape.inputCount, using: &generator), w = randomFloats(shape.weightCount, using: &generator)
    let b = randomFloats(shape.outChannels, using: &generator), dy = randomFloats(shape.outputCount, using: &generator)
    let activation = randomFloats(shape.inputCount, using: &generator).map { max($0, 0) }
    var scratch = [Float](repeating: .nan, count: workers * Conv2dNative.scratchCount(shape))
    var partials = [Float](repeating: .nan, count: Conv2dNative.partialCount(shape, workers: workers))
    var patches = [Float](repeating: .nan, count: Conv2dNative.patchesCount(shape))
    for (relu, keep) in [(false, false), (true, false), (false, true), (true, true)] {
        var y = [Float](repeating: .nan, count: shape.outputCount)
        patches.withUnsafeMutableBufferPointer { patches in
            Conv2dNative.forward(shape: shape, x: x, weight: w, bias: b, scratch: &scratch, workers: workers,
                                 patches: keep ? patches.baseAddress : nil, y: &y, relu: relu)
        }
        // Dot products of patchSize terms in [−1, 1] summed in another order: as KernelChecks.dotTolerance.
        expectClose(y, Reference.conv2dForward(x: x, weight: w, bias: b, shape: shape, relu: relu),
                    absolute: 1e-6 * Double(shape.patchSize), relative: 1e-5, "Y relu \(relu) keeping patches \(keep)")
    }
    for (masked, kept) in [(false, false), (true, false), (false, true), (true, true)] {
        var dw = [Float](repeating: .nan, count: shape.weightCount), db = [Float](repeating: .nan, count: shape.outChannels)
        var dx = [Float](repeating: .nan, count: shape.inputCount)
        patches.withUnsafeBufferPointer { patches in
            Conv2dNative.backward(shape: shape, dy: dy, x: x, weight: w, scratch: &scratch, workers: workers, partials: &partials,
                                  patches: kept ? patches.baseAddress : nil, dw: &dw, db: &db, dx: &dx,
                                  activation: masked ? activation : nil)
        }
        let sums = 1e-6 * Double(shape.patchCount), taps = 1e-6 * Double(shape.outChannels * shape.kernel * shape.kernel)
        expectClose(dw, Reference.conv2dBackwardWeight(dy: dy, x: x, shape: shape), absolute: sums, relative: 1e-5,
                    "dW from kept patches \(kept)")
        expectClose(db, Reference.conv2dBackwardBias(dy: dy, shape: shape), absolute: sums, relative: 1e-5, "db")
        expectClose(dx, Reference.conv2dBackwardInput(dy: dy, weight: w, shape: shape, reluOutput: masked ? activation : nil),
                    absolute: taps, relative: 1e-5, "dX mask \(masked)")
    }
}

/// Max pooling on one worker and on three (planes split unevenly; more workers than planes too).
@Test(arguments: [
    MaxPool2dShape(batch: 3, channels: 5, height: 7, width: 9, kernel: 3, stride: 2),
    MaxPool2dShape(batch: 2, channels: 3, height: 9, width: 8, kernel: 2, stride: 3),
    MaxPool2dShape(batch: 1, channels: 1, height: 1, width: 1, kernel: 1),
    MaxPool2dShape(batch: 3, channels: 6, height: 28, width: 28, kernel: 2),
], [1, 3])
func maxPool2dNativeAgreesWithReference(shape: MaxPool2dShape, workers: Int) {
    var generator = seededGenerator()
    let x = randomFloats(shape.inputCount, using: &generator), dy = randomFloats(shape.outputCount, using: &generator)
    var y = [Float](repeating: .nan, count: shape.outputCount), indices = [Int32](repeating: -1, count: shape.outputCount)
    MaxPool2dNative.forward(shape: shape, x: x, y: &y, indices: &indices, workers: workers)
    let expected = Reference.maxPool2dForward(x: x, shape: shape)
    // Picked, not computed; and gradients summed in the twin's order: all exact.
    expectClose(y, expected.y, absolute: 0, "Y")
    #expect(indices == expected.indices)
    var dx = [Float](repeating: .nan, count: shape.inputCount)
    MaxPool2dNative.backward(shape: shape, dy: dy, indices: indices, dx: &dx, workers: workers)
    expectClose(dx, Reference.maxPool2dBackward(dy: dy, indices: indices, shape: shape), absolute: 0, "dX")
}

/// NaNs win their windows, the first of several: the vector 2×2 path (a row of 14 windows: two overlapping
/// steps) and the general loop (3×3, stride 2) pick the twin's indices.
@Test(arguments: [
    MaxPool2dShape(batch: 2, channels: 3, height: 28, width: 28, kernel: 2),
    MaxPool2dShape(batch: 3, channels: 5, height: 7, width: 9, kernel: 3, stride: 2),
])
func maxPool2dNativePicksNaNsAsTheTwinDoes(shape: MaxPool2dShape) {
    var generator = seededGenerator()
    let x = randomFloats(shape.inputCount, using: &generator).map { $0 > 0.8 ? Float.nan : $0 }
    var y = [Float](repeating: 0, count: shape.outputCount), indices = [Int32](repeating: -1, count: shape.outputCount)
    MaxPool2dNative.forward(shape: shape, x: x, y: &y, indices: &indices)
    let expected = Reference.maxPool2dForward(x: x, shape: shape)
    #expect(expected.y.contains { $0.isNaN } && expected.y.contains { !$0.isNaN })
    #expect(indices == expected.indices)
    #expect(y.map(\.bitPattern) == expected.y.map(\.bitPattern))
}
