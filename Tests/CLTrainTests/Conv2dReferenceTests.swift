import Testing
@testable import CLTrain

/// The convolution in Double, written independently of the twins: the function finite differences are taken of.
private func exactConv2d(_ x: [Double], _ w: [Double], _ b: [Double], _ s: Conv2dShape) -> [Double] {
    var y: [Double] = []
    for n in 0..<s.batch {
        for o in 0..<s.outChannels {
            for r in 0..<s.outHeight {
                for q in 0..<s.outWidth {
                    var sum = b[o]
                    for c in 0..<s.inChannels {
                        for kh in 0..<s.kernel {
                            for kw in 0..<s.kernel {
                                let (ih, iw) = (r * s.stride + kh - s.padding, q * s.stride + kw - s.padding)
                                if ih < 0 || ih >= s.height || iw < 0 || iw >= s.width { continue }
                                sum += w[((o * s.inChannels + c) * s.kernel + kh) * s.kernel + kw]
                                    * x[((n * s.inChannels + c) * s.height + ih) * s.width + iw]
                            }
                        }
                    }
                    y.append(sum)
                }
            }
        }
    }
    return y
}

/// Central differences of `f` at each element of `point` (h = 1e-4; see ReferenceTests for the error budget).
private func numericGradient(of f: ([Double]) -> Double, at point: [Float]) -> [Double] {
    let base = point.map(Double.init), step = 1e-4
    return base.indices.map { j in
        var plus = base, minus = base
        plus[j] += step
        minus[j] -= step
        return (f(plus) - f(minus)) / (2 * step)
    }
}

/// L = Σ dY ⊙ Y has dL/dY = dY, so its gradients are exactly what the backward twins return.
private func weighted(_ dy: [Float], _ y: [Double]) -> Double {
    zip(dy, y).reduce(0.0) { $0 + Double($1.0) * $1.1 }
}

// Float sums of at most a few dozen O(1) products against Double: 1e-5 absolute + 1e-4 relative, as in ReferenceTests.
private let gradientAbsolute = 1e-5
private let gradientRelative = 1e-4

@Test(arguments: [
    // overlapping windows with padding; a stride that skips pixels; a kernel wider than the image with padding
    Conv2dShape(batch: 2, inChannels: 3, height: 5, width: 4, outChannels: 2, kernel: 3, stride: 2, padding: 1),
    Conv2dShape(batch: 1, inChannels: 2, height: 7, width: 6, outChannels: 3, kernel: 2, stride: 3),
    Conv2dShape(batch: 2, inChannels: 1, height: 2, width: 3, outChannels: 2, kernel: 4, padding: 2),
])
func conv2dBackwardAgainstFiniteDifferences(shape: Conv2dShape) {
    var generator = seededGenerator()
    let x = randomFloats(shape.inputCount, using: &generator)
    let w = randomFloats(shape.weightCount, using: &generator)
    let b = randomFloats(shape.outChannels, using: &generator)
    let dy = randomFloats(shape.outputCount, using: &generator)
    let (xd, wd, bd) = (x.map(Double.init), w.map(Double.init), b.map(Double.init))
    expectClose(Reference.conv2dForward(x: x, weight: w, bias: b, shape: shape, relu: false), exactConv2d(xd, wd, bd, shape),
                absolute: 1e-5, "Y")
    expectClose(Reference.conv2dBackwardInput(dy: dy, weight: w, shape: shape, reluOutput: nil),
                numericGradient(of: { weighted(dy, exactConv2d($0, wd, bd, shape)) }, at: x),
                absolute: gradientAbsolute, relative: gradientRelative, "dX")
    expectClose(Reference.conv2dBackwardWeight(dy: dy, x: x, shape: shape),
                numericGradient(of: { weighted(dy, exactConv2d(xd, $0, bd, shape)) }, at: w),
                absolute: gradientAbsolute, relative: gradientRelative, "dW")
    expectClose(Reference.conv2dBackwardBias(dy: dy, shape: shape),
                numericGradient(of: { weighted(dy, exactConv2d(xd, wd, $0, shape)) }, at: b),
                absolute: gradientAbsolute, relative: gradientRelative, "db")
}

@Test func conv2dBackwardInputThroughReluAgainstFiniteDifferences() {
    var generator = seededGenerator()
    let shape = Conv2dShape(batch: 2, inChannels: 3, height: 4, width: 5, outChannels: 2, kernel: 3, padding: 1)
    // Pre-activations are kept ≥ 0.05 from the kink so the ±1e-4 difference never crosses it.
    let a = randomFloats(shape.inputCount, in: 0.05...1, using: &generator).map { Bool.random(using: &generator) ? $0 : -$0 }
    let w = randomFloats(shape.weightCount, using: &generator), b = randomFloats(shape.outChannels, using: &generator)
    let dy = randomFloats(shape.outputCount, using: &generator)
    let (wd, bd) = (w.map(Double.init), b.map(Double.init))
    expectClose(Reference.conv2dBackwardInput(dy: dy, weight: w, shape: shape, reluOutput: Reference.reluForward(a)),
                numericGradient(of: { weighted(dy, exactConv2d($0.map { max($0, 0) }, wd, bd, shape)) }, at: a),
                absolute: gradientAbsolute, relative: gradientRelative, "dA through ReLU")
}

@Test func conv2dForwardByHand() {
    // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], W = [[1, 2], [3, 4]].
    let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9], w: [Float] = [1, 2, 3, 4]
    // Stride 1, no padding: 1+4+12+20 = 37, 2+6+15+24 = 47, 4+10+21+32 = 67, 5+12+24+36 = 77; bias −40.
    let plain = Conv2dShape(batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernel: 2)
    expectClose(Reference.conv2dForward(x: x, weight: w, bias: [-40], shape: plain, relu: false), [-3, 7, 27, 37] as [Float],
                absolute: 0, "stride 1")
    expectClose(Reference.conv2dForward(x: x, weight: w, bias: [-40], shape: plain, relu: true), [0, 7, 27, 37] as [Float],
                absolute: 0, "with ReLU")
    // Stride 2, padding 1: the windows start at (−1, −1), (−1, 1), (1, −1), (1, 1), so they see 1·4; 2·3 + 3·4;
    // 4·2 + 7·4; and 5·1 + 6·2 + 8·3 + 9·4.
    let padded = Conv2dShape(batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernel: 2, stride: 2, padding: 1)
    expectClose(Reference.conv2dForward(x: x, weight: w, bias: [0], shape: padded, relu: false), [4, 18, 36, 77] as [Float],
                absolute: 0, "stride 2, padding 1")
    // The input gradient of dY = [1, 0, 0, 1]: pixel (0, 0) gets W[1, 1] from the first window, the last window
    // spreads W over (1, 1), (1, 2), (2, 1), (2, 2).
    expectClose(Reference.conv2dBackwardInput(dy: [1, 0, 0, 1], weight: w, shape: padded, reluOutput: nil),
                [4, 0, 0, 0, 1, 2, 0, 3, 4] as [Float], absolute: 0, "dX")
}

@Test func maxPool2dForwardByHand() {
    // Windows of 2: {1, 3, 4, 2} → 4 at 4; {2, 0, 9, 9} → the first 9, at 6; {0, NaN, 7, 8} → NaN at 9, as
    // PyTorch propagates it; {5, 6, −1, 6} → the first 6, at 11.
    let x: [Float] = [1, 3, 2, 0, 4, 2, 9, 9, 0, .nan, 5, 6, 7, 8, -1, 6]
    let (y, indices) = Reference.maxPool2dForward(x: x, shape: MaxPool2dShape(batch: 1, channels: 1, height: 4, width: 4, kernel: 2))
    #expect(y[0] == 4 && y[1] == 9 && y[2].isNaN && y[3] == 6, "\(y)")
    #expect(indices == [4, 6, 9, 11])
}

@Test func maxPool2dBackwardByHand() {
    // Kernel 3, stride 1 over 3×4: both windows pick the 9 at index 5, which receives the sum of their gradients.
    let shape = MaxPool2dShape(batch: 1, channels: 1, height: 3, width: 4, kernel: 3, stride: 1)
    let (y, indices) = Reference.maxPool2dForward(x: [0, 1, 2, 3, 4, 9, 5, 6, 7, 8, 1, 0], shape: shape)
    #expect(y == [9, 9] && indices == [5, 5])
    expectClose(Reference.maxPool2dBackward(dy: [0.5, 0.25], indices: indices, shape: shape),
                [0, 0, 0, 0, 0, 0.75, 0, 0, 0, 0, 0, 0] as [Float], absolute: 0, "dX")
}

@Test func maxPool2dBackwardAgainstFiniteDifferences() {
    var generator = seededGenerator()
    let shape = MaxPool2dShape(batch: 2, channels: 3, height: 7, width: 6, kernel: 3, stride: 2)
    // Distinct values 0.01 apart, so no ±1e-4 step changes which input is a window's maximum.
    let x = (0..<shape.inputCount).map { Float($0) * 0.01 }.shuffled(using: &generator)
    let dy = randomFloats(shape.outputCount, using: &generator)
    // The loss Σ dY ⊙ maxpool(x) in Double, written independently of the twin.
    let exact = { (x: [Double]) -> Double in
        var sum = 0.0, at = 0
        for plane in 0..<shape.planes {
            for r in 0..<shape.outHeight {
                for q in 0..<shape.outWidth {
                    let window = (0..<shape.kernel).flatMap { kh in
                        (0..<shape.kernel).map { kw in
                            x[(plane * shape.height + r * shape.stride + kh) * shape.width + q * shape.stride + kw]
                        }
                    }
                    sum += Double(dy[at]) * window.max()!
                    at += 1
                }
            }
        }
        return sum
    }
    let indices = Reference.maxPool2dForward(x: x, shape: shape).indices
    expectClose(Reference.maxPool2dBackward(dy: dy, indices: indices, shape: shape), numericGradient(of: exact, at: x),
                absolute: gradientAbsolute, relative: gradientRelative, "dX")
}
