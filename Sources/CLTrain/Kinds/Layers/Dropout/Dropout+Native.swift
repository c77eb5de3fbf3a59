extension Dropout {
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation { NativeDropout(stage: stage, layer: self) }
}

private final class NativeDropout: NativeOperation {
    let stage: Stage, layer: Dropout

    init(stage: Stage, layer: Dropout) { (self.stage, self.layer) = (stage, layer) }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        let count = rows * stage.input.count
        guard let mask = layer.mask(stage, pass) else { return y.update(from: x, count: count) }
        for e in 0..<count { y[e] = mask.keeps(e) ? x[e] * mask.scale : 0 }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        guard let dx, let mask = layer.mask(stage, pass) else { return }
        for e in 0..<(rows * stage.input.count) {
            let through = !(stage.maskInputGradient && x[e] <= 0) && mask.keeps(e)
            dx[e] = through ? dy[e] * mask.scale : 0
        }
    }
}
