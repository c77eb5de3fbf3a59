import CLKit

/// A `StagePlan` run on an OpenCL device: each stage's `OpenCLOperation` and the activations and deltas between
/// stages, allocated once. The backend runs the model's plan through one, a residual block its body and shortcut.
final class OpenCLStages {
    let plan: StagePlan
    private let library: KernelLibrary
    private let operations: [OpenCLOperation]
    /// `activations[a]`: activation `a` for up to `rows` samples; 0 is the caller's input (nil here).
    private let activations: [Buffer<Float>?]
    /// `deltas[a]`: the loss's gradient with respect to activation `a` for a batch; the caller passes 0's and,
    /// except where it asks for `outputDelta`, the output's.
    private let deltas: [Buffer<Float>?]
    /// The plan's tensors split by stage, for the flat lists of views the caller passes (see `split`).
    private var parameterViews = StageViews(), bufferViews = StageViews(), gradientViews = StageViews()
    /// Tensors and buffers of each stage, counted once.
    private let tensorCounts: [Int], bufferCounts: [Int]

    /// - Parameter outputDelta: keep a buffer for the gradient with respect to the output (the model's logits, which
    ///   the loss writes); a block receives its caller's instead.
    init(_ plan: StagePlan, library: KernelLibrary, batch: Int, rows: Int, outputDelta: Bool = false) throws {
        self.plan = plan
        self.library = library
        (tensorCounts, bufferCounts) = (plan.stages.map(\.tensors.count), plan.stages.map(\.buffers.count))
        operations = try plan.stages.map { try $0.layer.openCLOperation($0, library: library, rows: rows) }
        let context = library.context
        activations = try plan.activationSizes.enumerated().map { $0 == 0 ? nil : try Buffer(context: context, count: rows * $1) }
        deltas = try plan.activationSizes.enumerated().map { a, size in
            a == 0 || (a == plan.outputActivation && !outputDelta) ? nil : try Buffer(context: context, count: batch * size)
        }
    }

    /// The gradient with respect to the output, where `init` kept one.
    var outputDelta: Buffer<Float>? { deltas[plan.outputActivation] }

    /// The buffer the last stage writes (the input where every stage is a view).
    func output(input: Buffer<Float>) -> Buffer<Float> { activations[plan.outputActivation] ?? input }

    /// Queues every stage's forward pass over `rows` samples of `input`; returns the output's buffer.
    /// - Parameters:
    ///   - parameters, buffers: views of the plan's tensors (`plan.tensors`, `plan.buffers`) in order.
    @discardableResult
    func forward(_ input: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>], pass: Pass) throws -> Buffer<Float> {
        let (parameters, buffers) = (parameterViews.split(parameters, tensorCounts), bufferViews.split(buffers, bufferCounts))
        for (s, stage) in plan.stages.enumerated() {
            library.annotate(stage, rows: rows, backward: false)
            try operations[s].forward(x: activations[stage.inputActivation] ?? input, y: activations[stage.outputActivation] ?? input,
                                      rows: rows, parameters: parameters[s], buffers: buffers[s], pass: pass)
        }
        return output(input: input)
    }

    /// Queues the backward pass from `dy`, the gradient with respect to the output of the forward pass on `input`:
    /// every parameter's gradient into `gradients` (views as `parameters`) and, where given, the input's into `dx`.
    func backward(input: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int, parameters: [Buffer<Float>],
                  gradients: [Buffer<Float>], pass: Pass) throws {
        let (parameters, gradients) = (parameterViews.split(parameters, tensorCounts), gradientViews.split(gradients, tensorCounts))
        func delta(_ a: Int) -> Buffer<Float>? { a == plan.outputActivation ? dy : a == 0 ? dx : deltas[a] }
        for (s, stage) in plan.stages.enumerated().reversed() where !stage.tensors.isEmpty || stage.needsInputGradient {
            library.annotate(stage, rows: rows, backward: true)
            try operations[s].backward(
                x: activations[stage.inputActivation] ?? input, y: activations[stage.outputActivation] ?? input,
                dy: delta(stage.outputActivation)!, dx: stage.needsInputGradient ? delta(stage.inputActivation) : nil, rows: rows,
                parameters: parameters[s], gradients: gradients[s], pass: pass)
        }
    }
}

/// A flat list of tensor views cut into each stage's, kept while the caller passes the same views (it always does:
/// the backend makes them once), so a step allocates no arrays.
struct StageViews {
    private var source: [Buffer<Float>] = []
    private var split: [[Buffer<Float>]] = []

    mutating func split(_ views: [Buffer<Float>], _ counts: [Int]) -> [[Buffer<Float>]] {
        if split.count == counts.count, views.count == source.count, zip(views, source).allSatisfy({ $0 === $1 }) { return split }
        var start = 0
        split = counts.map { count in
            defer { start += count }
            return Array(views[start..<(start + count)])
        }
        source = views
        return split
    }
}

extension KernelLibrary {
    /// Describes a stage's launches for `KernelBenchmark`, e.g. "64×784→128 linear(128)+relu".
    func annotate(_ stage: Stage, rows: Int, backward: Bool) {
        annotate("\(rows)×\(backward ? stage.output : stage.input)→\(backward ? stage.input : stage.output) "
                 + "\(stage.layer)\(stage.relu ? "+relu" : "")",
                 flops: Double(2 * rows * stage.layer.multiplyAdds(for: stage.input)).nonZero)
    }
}

extension Double {
    var nonZero: Double? { self == 0 ? nil : self }
}
