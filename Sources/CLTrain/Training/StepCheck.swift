/// The lesson's one-step view checked: after one plain SGD step from `before` with gradient `gradients` at
/// `learningRate`, every parameter of `after` must be `W − lr·∇W`. The gradient is computed apart from the backend (by
/// `Reference`), so the check covers the backend's forward, backward and update together.
public struct StepCheck {
    /// The worst element, relative to its tolerance (≤ 1 passes), and where it is.
    public let worst: (index: Int, found: Float, expected: Float, tolerance: Float)
    public var holds: Bool { abs(worst.found - worst.expected) <= worst.tolerance }

    /// Tolerance of element i: a few ulps of W (the subtraction rounds once, and W − lr·∇W is compared after another
    /// rounding), plus lr · 1e-4 of the tensor's largest gradient: the backend sums each gradient in another order than
    /// the reference, which moves a gradient that cancels by up to ~1e-5 of the terms' size. A wrong rate or sign,
    /// or a missing update, is off by lr·|∇W| and fails wherever the gradient is not tiny.
    public init(before: Parameters, after: Parameters, gradients: [Float], learningRate: Float) {
        var worst = (index: 0, found: after.values.first ?? 0, expected: before.values.first ?? 0, tolerance: Float.infinity)
        var worstRatio: Float = -1
        for slot in before.model.tensors {
            let largest = gradients[slot.range].map(abs).max() ?? 0
            for i in slot.range {
                let expected = before.values[i] - learningRate * gradients[i]
                let tolerance = 4 * before.values[i].ulp + learningRate * 1e-4 * largest + Float.leastNormalMagnitude
                let ratio = abs(after.values[i] - expected) / tolerance
                // NaN compares false: a NaN update is the worst there is.
                if !(ratio <= worstRatio) { (worst, worstRatio) = ((i, after.values[i], expected, tolerance), ratio.isNaN ? .infinity : ratio) }
            }
        }
        self.worst = worst
    }
}
