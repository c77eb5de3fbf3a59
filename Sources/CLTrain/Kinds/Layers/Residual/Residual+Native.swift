extension Residual {
    public func nativeOperation(_ stage: Stage, batch: Int, rows: Int) -> NativeOperation {
        let (body, shortcut) = plans(stage)
        return NativeResidual(stage: stage, body: NativeStages(body, batch: batch, rows: rows),
                              shortcut: shortcut.map { NativeStages($0, batch: batch, rows: rows) }, batch: batch)
    }
}

/// The body and the shortcut each run as a plan of their own, with their own activations; the addition and its
/// backward pass as `Kernels/residual.cl` computes them.
private final class NativeResidual: NativeOperation {
    let stage: Stage, body: NativeStages, shortcut: NativeStages?
    /// The additions split by samples across the host workers, as the layers in the block split them.
    let workers = hostWorkers
    /// The input gradients through the body and through the shortcut, added into the block's.
    let bodyDx: UnsafeMutableBufferPointer<Float>, shortcutDx: UnsafeMutableBufferPointer<Float>

    init(stage: Stage, body: NativeStages, shortcut: NativeStages?, batch: Int) {
        (self.stage, self.body, self.shortcut) = (stage, body, shortcut)
        let count = stage.needsInputGradient ? batch * stage.input.count : 0
        (bodyDx, shortcutDx) = (.allocateZeroed(count), .allocateZeroed(shortcut == nil ? 0 : count))
    }

    deinit { for buffer in [bodyDx, shortcutDx] { buffer.deallocate() } }

    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, parameters: UnsafePointer<Float>,
                 buffers: UnsafeMutablePointer<Float>, pass: Pass) {
        let a = body.forward(x, rows: rows, parameters: parameters, buffers: buffers, pass: pass)
        let b = shortcut?.forward(x, rows: rows, parameters: parameters + body.plan.parameterCount,
                                  buffers: buffers + body.plan.bufferCount, pass: pass) ?? x
        let relu = stage.relu, count = stage.output.count
        inParallel(batch: rows, workers: workers) { _, samples in
            forEachLanes(in: (samples.lowerBound * count)..<(samples.upperBound * count), whole: { i in
                let sum = a.lanes(i) + b.lanes(i)
                y.store(relu ? sum.relu : sum, at: i)
            }, tail: { i in
                y[i] = relu ? max(a[i] + b[i], 0) : a[i] + b[i]
            })
        }
    }

    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  rows: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        body.backward(input: x, dy: dy, dx: dx == nil ? nil : bodyDx.baseAddress!, rows: rows, parameters: parameters,
                      gradients: gradients, pass: pass)
        let start = body.plan.parameterCount
        shortcut?.backward(input: x, dy: dy, dx: dx == nil ? nil : shortcutDx.baseAddress!, rows: rows, parameters: parameters + start,
                           gradients: gradients + start, pass: pass)
        guard let dx else { return }
        let (a, b) = (bodyDx.baseAddress!, shortcut == nil ? dy : UnsafePointer(shortcutDx.baseAddress!))
        let count = stage.input.count
        inParallel(batch: rows, workers: workers) { _, samples in
            Self.add(a, b, into: dx, (samples.lowerBound * count)..<(samples.upperBound * count),
                     where: stage.maskInputGradient ? x : nil)
        }
    }

    /// dx = a + b, and 0 where `positive` (the block's input, when a ReLU made it) is not > 0, in `Lanes` (the
    /// scalar loop, which the compiler kept scalar and branching, was 5% of a ResNet-8 `--cpu` step).
    private static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>,
                            _ range: Range<Int>, where positive: UnsafePointer<Float>?) {
        forEachLanes(in: range, whole: { i in
            var sum = a.lanes(i) + b.lanes(i)
            if let positive { sum.replace(with: 0, where: .!(positive.lanes(i) .> 0)) }
            dx.store(sum, at: i)
        }, tail: { i in
            dx[i] = positive.map { $0[i] > 0 } ?? true ? a[i] + b[i] : 0
        })
    }
}
