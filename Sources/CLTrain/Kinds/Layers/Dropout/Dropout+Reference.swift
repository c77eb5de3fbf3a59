// MARK: - Dropout

extension Reference {
    /// Twin of `dropout_forward`: `y = x · scale` where `mask` keeps the element, else 0.
    public static func dropoutForward(_ x: [Float], mask: DropoutMask) -> [Float] {
        x.indices.map { mask.keeps($0) ? x[$0] * mask.scale : 0 }
    }

    /// Twin of the backward pass (`dropout_forward` on dy, or `dropout_backward_after_relu`): `dx = dy · scale` where
    /// `mask` kept the element, else 0; also 0 where `reluOutput` (the forward input, when a ReLU produced it) is not
    /// positive.
    public static func dropoutBackward(dy: [Float], mask: DropoutMask, reluOutput: [Float]?) -> [Float] {
        dy.indices.map { e in
            // !(> 0), not <= 0: a NaN output stops the gradient, as PyTorch's ReLU backward (and the kernels) do.
            if let reluOutput, !(reluOutput[e] > 0) { return 0 }
            return mask.keeps(e) ? dy[e] * mask.scale : 0
        }
    }
}
