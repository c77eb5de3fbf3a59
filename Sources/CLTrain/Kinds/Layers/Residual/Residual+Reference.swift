extension Reference {
    /// Twin of `residual_forward`: `y = a + b` element-wise, then `max(0, ·)` if `relu`.
    public static func residualForward(_ a: [Float], _ b: [Float], relu: Bool) -> [Float] {
        zip(a, b).map { relu ? max($0 + $1, 0) : $0 + $1 }
    }

    /// Twin of `residual_backward`: the block's input gradient `dx = a + b`, the sum of the body's and the shortcut's,
    /// zeroed where `reluOutput` is given (the block's input is an absorbed ReLU's output) and not positive.
    public static func residualBackward(_ a: [Float], _ b: [Float], reluOutput: [Float]?) -> [Float] {
        a.indices.map { i in reluOutput.map { $0[i] > 0 } == false ? 0 : a[i] + b[i] }
    }
}
