import CLKit

/// One optimizer: how parameters move against their gradients, as one `torch.optim` class does it. A kind
/// lives in `Kinds/Optimizers/<Name>/` (its rule, its launcher, its selftest cases; its kernel in
/// `Kernels/<name>.cl`) and in one line of `OptimizerRegistry`. The backends call only this protocol.
///
/// Every kind updates the flat parameter vector (all tensors back to back) in one pass, so a step has one
/// optimizer launch whatever the model; the update of each value reads only that value's parameter, gradient and
/// state, so `--cpu` splits the vector across threads (`UpdateVectors.slice`).
public protocol OptimizerKind {
    /// The name `--optimizer` takes and the checkpoint stores, e.g. "adamw".
    static var name: String { get }
    /// One line for `--help`: the PyTorch class it follows and what it takes.
    static var summary: String { get }
    /// Names of the per-parameter state vectors kept for `settings`, each as long as the parameter vector,
    /// named as `torch.optim` names them (`momentum_buffer`, `exp_avg`, …).
    static func stateNames(_ settings: OptimizerConfig) -> [String]
    /// The weight decay where `--weight-decay` is not given: 0 unless the PyTorch class has another default.
    static var defaultWeightDecay: Float { get }
    /// Why `settings` do not apply to this kind (e.g. a momentum for Adam), or nil.
    static func refusal(_ settings: OptimizerConfig) -> InvalidSetting?

    /// The rule, written to be read: the CPU twin of the kernel, and the `--cpu` path's update.
    /// - Parameters:
    ///   - step: the 1-based number of this update.
    ///   - learningRate: this step's rate, the schedule applied to `settings.learningRate`.
    static func update(_ vectors: UpdateVectors, step: Int, learningRate: Float, settings: OptimizerConfig)
    /// The values of update `step` at `learningRate` that its kernel reads from the step record
    /// (`StepRecord.factors`, at most four): they change from step to step, so a recorded step cannot take them as
    /// arguments.
    static func stepFactors(step: Int, learningRate: Float, settings: OptimizerConfig) -> SIMD4<Float>
    /// Queues the kernel's launch on the same vectors in device buffers, with the step record's factors.
    @discardableResult
    static func launch(_ library: KernelLibrary, count: Int, parameters: Buffer<Float>, gradients: Buffer<Float>,
                       state: [Buffer<Float>], settings: OptimizerConfig) throws -> Event?

    /// The kernel `launch` runs, for selftest's rows.
    static var kernel: String { get }
    /// Vector lengths, settings and step numbers selftest checks the kernel at against `update`.
    static var checkCases: [(count: Int, settings: OptimizerConfig, step: Int)] { get }
}

extension OptimizerKind {
    public static var defaultWeightDecay: Float { 0 }
}

/// The flat vectors one update reads and writes, each `count` long: the parameters, their gradients, and
/// the optimizer's state vectors in `stateNames` order.
public struct UpdateVectors {
    public let count: Int
    public let parameters: UnsafeMutablePointer<Float>
    public let gradients: UnsafePointer<Float>
    public let state: [UnsafeMutablePointer<Float>]

    public init(count: Int, parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                state: [UnsafeMutablePointer<Float>]) {
        self.count = count
        self.parameters = parameters
        self.gradients = gradients
        self.state = state
    }

    /// The same vectors' values in `range`: an update is element-wise, so the native backend's workers each
    /// update a slice.
    public func slice(_ range: Range<Int>) -> UpdateVectors {
        UpdateVectors(count: range.count, parameters: parameters + range.lowerBound, gradients: gradients + range.lowerBound,
                      state: state.map { $0 + range.lowerBound })
    }

    /// Runs `body` on vectors over arrays: the reference's and the checks' way to call a rule. The state is
    /// copied out and back, which keeps this simple; the backends hold their vectors in place.
    public static func over<R>(parameters: inout [Float], gradients: [Float], state: inout [[Float]],
                               _ body: (UpdateVectors) -> R) -> R {
        precondition(gradients.count == parameters.count && state.allSatisfy { $0.count == parameters.count })
        let count = parameters.count
        let copies = state.map { vector -> UnsafeMutableBufferPointer<Float> in
            let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
            _ = copy.initialize(from: vector)
            return copy
        }
        defer {
            for (index, copy) in copies.enumerated() {
                state[index] = Array(copy.prefix(count))
                copy.deallocate()
            }
        }
        return parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                body(UpdateVectors(count: count, parameters: p.baseAddress!, gradients: g.baseAddress!,
                                   state: copies.map { $0.baseAddress! }))
            }
        }
    }
}
