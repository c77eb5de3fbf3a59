/// `residual(layers…)`: `out = body(x) + shortcut(x)`, the block of a ResNet. The shortcut is the identity where the
/// body keeps the shape, and otherwise torchvision's BasicBlock projection, `conv2d(C, 1, stride=S, bias=false),
/// batchnorm2d`, with C and S those that give the body's output shape. Tensors are named as a PyTorch module with
/// attributes `body` (an `nn.Sequential` of the layers) and `shortcut`: `3.body.0.weight`, `3.shortcut.1.running_var`.
/// A ReLU after the block runs inside its addition (kernel `residual_forward`).
public struct Residual: Layer {
    public static let name = "residual"
    public static let syntax = "residual(layers…)"
    public static let summary = "body(x) + shortcut(x): identity, or 1×1 conv2d + batchnorm2d if the shape changes"
    public static let examples = ["residual(conv2d(3, 3, padding=1), relu, conv2d(3, 3, padding=1))",
                                  "residual(conv2d(4, 3, stride=2, padding=1, bias=false), batchnorm2d)",
                                  "residual(linear(12), relu, dropout(0.3), linear(12))"]
    public let body: [any Layer]

    public init(body: [any Layer]) { self.body = body }

    public init(_ arguments: LayerArguments) throws {
        var arguments = arguments
        body = try arguments.takeLayers()
        try arguments.finish()
    }

    public var description: String { "residual(\(body.map(\.description).joined(separator: ", ")))" }
    public var absorbsReLU: Bool { true }

    /// The shortcut's layers for `input`: none for the identity, else the projection onto the body's output.
    func shortcut(for input: Shape, output: Shape) throws -> [any Layer] {
        guard output != input else { return [] }
        guard let (_, height, width) = input.image, let (channels, outHeight, outWidth) = output.image else {
            throw LayerShapeError("has a body that turns \(input) into \(output); only images can be projected, so keep the shape")
        }
        // A 1×1 convolution without padding at stride S gives ⌊(H − 1)/S⌋ + 1 rows.
        let stride = max(1, (height + outHeight - 1) / outHeight)
        guard (height - 1) / stride + 1 == outHeight, (width - 1) / stride + 1 == outWidth else {
            throw LayerShapeError("has a body that turns \(input) into \(output), which no strided 1×1 convolution matches")
        }
        return [Conv2d(outChannels: channels, kernel: 1, stride: stride, bias: false), BatchNorm2d()]
    }

    /// The body's and the shortcut's stages for `input`; the gradient reaches the input where `inputNeedsGradient`.
    func plans(for input: Shape, inputNeedsGradient: Bool = false) throws -> (body: StagePlan, shortcut: StagePlan?) {
        do {
            let body = try StagePlan(layers: self.body, input: input, inputNeedsGradient: inputNeedsGradient,
                                     position: { "layer \($0) of the block" })
            let projection = try shortcut(for: input, output: body.output)
            return (body, projection.isEmpty ? nil : try StagePlan(layers: projection, input: input, inputNeedsGradient: inputNeedsGradient))
        } catch let error as ModelSpecError {
            throw LayerShapeError("has \(error)")
        }
    }

    /// The plans of a stage's input: the model checked that they build.
    func plans(_ stage: Stage) -> (body: StagePlan, shortcut: StagePlan?) {
        try! plans(for: stage.input, inputNeedsGradient: stage.needsInputGradient)
    }

    public func outputShape(for input: Shape) throws -> Shape { try plans(for: input).body.output }

    /// The body's and the shortcut's, prefixed with their module names: `body.` and `shortcut.`.
    private func prefixed<T>(_ input: Shape, _ items: (StagePlan) -> [T], _ rename: (T, String) -> T) -> [T] {
        guard let (body, shortcut) = try? plans(for: input) else { return [] }
        return items(body).map { rename($0, "body.") } + (shortcut.map { items($0).map { rename($0, "shortcut.") } } ?? [])
    }

    public func parameters(for input: Shape) -> [(name: String, shape: [Int])] {
        prefixed(input, { $0.tensors.map { ($0.name, $0.shape) } }) { ($1 + $0.0, $0.1) }
    }

    public func buffers(for input: Shape) -> [LayerBuffer] {
        prefixed(input, \.layerBuffers) { LayerBuffer($1 + $0.name, shape: $0.shape, initial: $0.initial) }
    }

    public func initialValues(for input: Shape, using generator: inout SeededGenerator) -> [Float] {
        guard let (body, shortcut) = try? plans(for: input) else { return [] }
        return (body.stages + (shortcut?.stages ?? [])).flatMap { $0.layer.initialValues(for: $0.input, using: &generator) }
    }

    public func trainingBatchProblem(rows: Int, input: Shape) -> String? {
        guard let (body, shortcut) = try? plans(for: input) else { return nil }
        return body.trainingBatchProblem(rows: rows) ?? shortcut?.trainingBatchProblem(rows: rows)
    }

    /// Its layers', and one addition per output.
    public func multiplyAdds(for input: Shape) -> Int {
        guard let (body, shortcut) = try? plans(for: input) else { return 0 }
        return (body.stages + (shortcut?.stages ?? [])).reduce(body.output.count) { $0 + $1.layer.multiplyAdds(for: $1.input) }
    }

    /// The activations and deltas inside the block, the two input gradients it adds, and its layers' own scratch.
    public func scratchValues(for input: Shape, batch: Int, rows: Int, native: Bool) -> Int {
        guard let (body, shortcut) = try? plans(for: input) else { return 0 }
        return [body, shortcut].compactMap { $0 }.reduce(2 * batch * input.count) { total, plan in
            total + plan.activationSizes.dropFirst().reduce(0) { $0 + $1 * (rows + batch) }
                + plan.stages.reduce(0) { $0 + $1.layer.scratchValues(for: $1.input, batch: batch, rows: rows, native: native) }
        }
    }

    public static let kernelChecks = residualChecks

    public func referenceOperation(_ stage: Stage) -> ReferenceOperation {
        let (body, shortcut) = plans(stage)
        return ReferenceResidual(stage: stage, body: body, shortcut: shortcut)
    }
}

/// The block on plain arrays: `Reference.forwardActivations` and `Reference.backward` over the body and the shortcut.
private struct ReferenceResidual: ReferenceOperation {
    let stage: Stage, body: StagePlan, shortcut: StagePlan?

    /// Where the shortcut's parameters and buffers start in the block's.
    private var shortcutStart: (parameters: Int, buffers: Int) { (body.parameterCount, body.bufferCount) }

    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float] {
        let (p, b) = (parameters.startIndex, buffers.startIndex)
        let bodyOutput = Reference.forwardActivations(body, parameters: parameters[p..<(p + shortcutStart.parameters)],
                                                      buffers: &buffers[b..<(b + shortcutStart.buffers)], x: x, rows: rows, pass: pass).last!
        var shortcutOutput = x
        if let shortcut {
            shortcutOutput = Reference.forwardActivations(shortcut, parameters: parameters[(p + shortcutStart.parameters)...],
                                                          buffers: &buffers[(b + shortcutStart.buffers)...], x: x, rows: rows, pass: pass).last!
        }
        return Reference.residualForward(bodyOutput, shortcutOutput, relu: stage.relu)
    }

    /// The forward pass again, for the activations inside the block (its buffers' updates are dropped: a training
    /// pass's outputs do not read them).
    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float]) {
        let p = parameters.startIndex
        func run(_ plan: StagePlan, _ parameters: ArraySlice<Float>) -> (dx: [Float]?, gradients: [Float]) {
            var buffers = plan.initialBuffers[...]
            let activations = Reference.forwardActivations(plan, parameters: parameters, buffers: &buffers, x: x, rows: rows, pass: pass)
            return Reference.backward(plan, parameters: parameters, activations: activations, dy: dy, rows: rows, pass: pass)
        }
        let bodyPass = run(body, parameters[p..<(p + shortcutStart.parameters)])
        let shortcutPass = shortcut.map { run($0, parameters[(p + shortcutStart.parameters)...]) } ?? (dx: dy, gradients: [])
        let dx = stage.needsInputGradient
            ? Reference.residualBackward(bodyPass.dx!, shortcutPass.dx!, reluOutput: stage.maskInputGradient ? x : nil) : nil
        return (dx, bodyPass.gradients + shortcutPass.gradients)
    }
}
