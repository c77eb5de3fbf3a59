/// A `StagePlan` run natively: each stage's `NativeOperation` and the activations and deltas between stages,
/// allocated once. The backend runs the model's plan through one, a residual block its body and shortcut.
final class NativeStages {
    let plan: StagePlan
    private let operations: [NativeOperation]
    /// `activations[a]`: activation `a` for up to `rows` samples; 0 is the caller's input and not allocated here.
    private let activations: [UnsafeMutableBufferPointer<Float>]
    /// `deltas[a]`: the loss's gradient with respect to activation `a`, for a batch; the caller passes 0's (the
    /// input's) and the output's.
    private let deltas: [UnsafeMutableBufferPointer<Float>]

    init(_ plan: StagePlan, batch: Int, rows: Int) {
        self.plan = plan
        operations = plan.stages.map { $0.layer.nativeOperation($0, batch: batch, rows: rows) }
        activations = plan.activationSizes.enumerated().map { $0 == 0 ? .allocateZeroed(0) : .allocateZeroed(rows * $1) }
        deltas = plan.activationSizes.enumerated().map { $0 == 0 || $0 == plan.outputActivation ? .allocateZeroed(0) : .allocateZeroed(batch * $1) }
    }

    deinit { for buffer in activations + deltas { buffer.deallocate() } }

    /// The output of the last forward pass (the input where every stage is a view).
    func output(input: UnsafePointer<Float>) -> UnsafePointer<Float> { UnsafePointer(activation(plan.outputActivation, input)) }

    private func activation(_ a: Int, _ input: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        a == 0 ? UnsafeMutablePointer(mutating: input) : activations[a].baseAddress!
    }

    /// The parameters (offsets into the plan's) that each of `workers` updates, as the stages' operations share them.
    func updateShares(workers: Int) -> [[Range<Int>]] {
        (0..<workers).map { part in
            zip(plan.stages, operations).flatMap { stage, operation in
                operation.updateShare(part: part, of: workers, count: stage.parameterRange.count).map {
                    ($0.lowerBound + stage.parameterRange.lowerBound)..<($0.upperBound + stage.parameterRange.lowerBound)
                }
            }
        }
    }

    /// Every stage's output for `rows` samples of `input`; returns the last one's.
    @discardableResult
    func forward(_ input: UnsafePointer<Float>, rows: Int, parameters: UnsafePointer<Float>, buffers: UnsafeMutablePointer<Float>,
                 pass: Pass) -> UnsafePointer<Float> {
        for (stage, operation) in zip(plan.stages, operations) {
            operation.forward(x: activation(stage.inputActivation, input), y: activation(stage.outputActivation, input), rows: rows,
                              parameters: parameters + stage.parameterRange.lowerBound,
                              buffers: buffers + stage.bufferRange.lowerBound, pass: pass)
        }
        return output(input: input)
    }

    /// The gradients of every parameter into `gradients` (laid out as the plan's tensors) and, where `dx` is given,
    /// of the input, from `dy`, the gradient with respect to the output of the forward pass on `input` just run.
    func backward(input: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, rows: Int,
                  parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, pass: Pass) {
        func delta(_ a: Int) -> UnsafeMutablePointer<Float>? {
            a == plan.outputActivation ? UnsafeMutablePointer(mutating: dy) : a == 0 ? dx : deltas[a].baseAddress!
        }
        for (stage, operation) in zip(plan.stages, operations).reversed() where !stage.tensors.isEmpty || stage.needsInputGradient {
            let range = stage.parameterRange
            operation.backward(
                x: activation(stage.inputActivation, input), y: activation(stage.outputActivation, input),
                dy: delta(stage.outputActivation)!, dx: stage.needsInputGradient ? delta(stage.inputActivation) : nil, rows: rows,
                parameters: parameters + range.lowerBound, gradients: gradients + range.lowerBound, pass: pass)
        }
    }
}

extension UnsafeMutableBufferPointer where Element == Float {
    /// `count` zeros (room for one where `count` is 0, so the base address exists).
    static func allocateZeroed(_ count: Int) -> Self {
        let buffer = allocate(capacity: Swift.max(count, 1))
        buffer.initialize(repeating: 0)
        return buffer
    }
}
