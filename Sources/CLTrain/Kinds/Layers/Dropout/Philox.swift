/// Philox-4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC 2011): a counter-based
/// generator, so the draw for any (key, counter) is computed directly, in any order, on any device.
/// `Kernels/dropout.cl` implements the same function; both are checked against the published test vectors.
public enum Philox {
    public static func block(counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32))
        -> (UInt32, UInt32, UInt32, UInt32) {
        var (c, k) = (counter, key)
        for round in 0..<10 {
            if round > 0 { k = (k.0 &+ 0x9E37_79B9, k.1 &+ 0xBB67_AE85) }
            let product0 = UInt64(0xD251_1F53) * UInt64(c.0), product1 = UInt64(0xCD9E_8D57) * UInt64(c.2)
            c = (UInt32(truncatingIfNeeded: product1 >> 32) ^ c.1 ^ k.0, UInt32(truncatingIfNeeded: product1),
                 UInt32(truncatingIfNeeded: product0 >> 32) ^ c.3 ^ k.1, UInt32(truncatingIfNeeded: product0))
        }
        return c
    }
}

/// Which elements one dropout layer keeps in one training step, and the scale of the kept ones.
///
/// Element `e` of the batch's activation (row-major) is kept when the top 24 bits of Philox's first word for
/// key (seed) and counter (e, layer, step) reach `threshold` = ⌈p·2²⁴⌉, so with probability 1 − p. The
/// comparison is on integers and the scale is computed once here, so every device draws the same mask and
/// scales by the same float: `--cpu` and any OpenCL device train identically.
public struct DropoutMask: Sendable, Equatable {
    public let threshold: UInt32
    /// `1 / (1 − p)`: PyTorch's inverted dropout keeps the expected activation unchanged.
    public let scale: Float
    public let key: (UInt32, UInt32)
    public let layer: UInt32
    public let step: (UInt32, UInt32)

    public init(probability p: Float, seed: UInt64, step: Int, layer: Int) {
        threshold = UInt32((Double(p) * 16_777_216).rounded(.up))
        scale = 1 / (1 - p)
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        self.layer = UInt32(truncatingIfNeeded: layer)
        self.step = (UInt32(truncatingIfNeeded: step), UInt32(truncatingIfNeeded: UInt64(step) >> 32))
    }

    public func keeps(_ element: Int) -> Bool {
        Philox.block(counter: (UInt32(truncatingIfNeeded: element), layer, step.0, step.1), key: key).0 >> 8 >= threshold
    }

    public static func == (a: DropoutMask, b: DropoutMask) -> Bool {
        a.threshold == b.threshold && a.scale == b.scale && a.key == b.key && a.layer == b.layer && a.step == b.step
    }
}
