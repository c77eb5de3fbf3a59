extension Linear {
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation { NativeLinear(stage: stage) }
}

/// The three products are `cblas_sgemm` calls reading W transposed in place; bias, ReLU and the input's
/// ReLU mask are one pass each over the product.
private final class NativeLinear: NativeOperation {
    let stage: Stage
    let inputs: Int, outputs: Int

    init(stage: Stage) {
        self.stage = stage
        (inputs, outputs) = (stage.input.count, stage.output.count)
    }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        // Y = X · Wᵀ
        gemm(x, parameters, transposeB: true, into: y, m: rows, n: outputs, k: inputs)
        let bias = parameters + outputs * inputs
        if stage.relu {
            for n in 0..<rows { for o in 0..<outputs { y[n * outputs + o] = max(y[n * outputs + o] + bias[o], 0) } }
        } else {
            for n in 0..<rows { for o in 0..<outputs { y[n * outputs + o] += bias[o] } }
        }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        // dW = dYᵀ · X
        gemm(dy, transposeA: true, x, into: gradients, m: outputs, n: inputs, k: rows)
        let db = gradients + outputs * inputs
        for o in 0..<outputs { db[o] = 0 }
        for n in 0..<rows { for o in 0..<outputs { db[o] += dy[n * outputs + o] } }
        if let dx {
            // dX = dY · W, then through the ReLU that produced X.
            gemm(dy, parameters, into: dx, m: rows, n: inputs, k: outputs)
            if stage.maskInputGradient { for j in 0..<(rows * inputs) where x[j] <= 0 { dx[j] = 0 } }
        }
    }
}
