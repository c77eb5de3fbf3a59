// MARK: - Whole-model composites that every backend's tests compare against

extension Reference {
    /// The model's log-probabilities for `rows` samples `x` (rows, input values) in evaluation (dropout off, running
    /// statistics): every stage, then log-softmax. Shape (rows, classes).
    public static func forward(parameters: Parameters, x: [Float], rows: Int) -> [Float] {
        var buffers = parameters.buffers[...]
        let activations = forwardActivations(parameters.model.plan, parameters: parameters.values[...], buffers: &buffers,
                                             x: x, rows: rows, pass: .evaluation)
        return logSoftmaxForward(activations.last!, rows: rows, classes: parameters.model.classes)
    }

    /// The training loss (`settings`: the lesson's log-softmax + NLL unless told otherwise) of the batch (`x`,
    /// `labels`) and its gradient with respect to every parameter, laid out as `Parameters.values` is: the chain
    /// rule, stage by stage from the loss back to the input. `buffers`: the running statistics after the pass.
    public static func lossAndGradients(parameters: Parameters, x: [Float], labels: [UInt8], pass: Pass,
                                        loss settings: LossConfig = .lesson) -> (loss: Float, gradients: [Float], buffers: [Float]) {
        let model = parameters.model, rows = labels.count
        var buffers = parameters.buffers[...]
        let activations = forwardActivations(model.plan, parameters: parameters.values[...], buffers: &buffers, x: x, rows: rows, pass: pass)
        let (loss, dz) = lossForwardBackward(activations.last!, labels: labels, classes: model.classes, settings: settings)
        let (_, gradients) = backward(model.plan, parameters: parameters.values[...], activations: activations, dy: dz,
                                      rows: rows, pass: pass)
        return (loss, gradients, Array(buffers))
    }

    /// One training step on the batch (`x`, `labels`): forward, loss, backward, and an update with `optimizer` at
    /// `learningRate` (its base rate unless a schedule says otherwise). `state.step` is incremented before the
    /// update, so Adam's first step is step 1; dropout draws its masks from `seed` and that step. Returns the
    /// batch's loss before the update.
    @discardableResult
    public static func trainStep(
        parameters: inout Parameters, state: inout OptimizerState, optimizer: OptimizerConfig, learningRate: Float? = nil,
        loss: LossConfig = .lesson, seed: UInt64 = 0, x: [Float], labels: [UInt8]
    ) -> Float {
        state.step += 1
        let (batchLoss, gradients, buffers) = lossAndGradients(parameters: parameters, x: x, labels: labels,
                                                               pass: .training(seed: seed, step: state.step), loss: loss)
        parameters.buffers = buffers
        let names = optimizer.stateNames
        var vectors = names.map { state.buffers[$0]! }
        UpdateVectors.over(parameters: &parameters.values, gradients: gradients, state: &vectors) {
            optimizer.rule.update($0, step: state.step, learningRate: learningRate ?? optimizer.learningRate, settings: optimizer)
        }
        for (name, vector) in zip(names, vectors) { state.buffers[name] = vector }
        return batchLoss
    }

    /// Every activation of a forward pass through `plan`'s stages, by `Stage.inputActivation`/`outputActivation`
    /// (0 is `x`); the last is the plan's output. A training pass updates `buffers`.
    static func forwardActivations(_ plan: StagePlan, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>,
                                   x: [Float], rows: Int, pass: Pass) -> [[Float]] {
        var activations = [x]
        for stage in plan.stages where !stage.layer.isView {
            let range = shifted(stage.bufferRange, by: buffers.startIndex)
            activations.append(stage.layer.referenceOperation(stage).forward(
                activations[stage.inputActivation], rows: rows, parameters: slice(parameters, stage.parameterRange),
                buffers: &buffers[range], pass: pass))
        }
        return activations
    }

    /// The gradients of `plan`'s parameters (laid out as its tensors) and of its input (nil where no stage needs
    /// it), from `dy`, the gradient with respect to its output, and the `activations` of its forward pass.
    static func backward(_ plan: StagePlan, parameters: ArraySlice<Float>, activations: [[Float]], dy: [Float],
                         rows: Int, pass: Pass) -> (dx: [Float]?, gradients: [Float]) {
        var gradients = [Float](repeating: 0, count: plan.parameterCount)
        // The loss's gradient with respect to each activation, as far back as some parameter needs it.
        var deltas: [Int: [Float]] = [plan.outputActivation: dy]
        for stage in plan.stages.reversed() where !stage.layer.isView {
            guard let dy = deltas[stage.outputActivation] else { continue }
            let (dx, layerGradients) = stage.layer.referenceOperation(stage).backward(
                x: activations[stage.inputActivation], y: activations[stage.outputActivation], dy: dy, rows: rows,
                parameters: slice(parameters, stage.parameterRange), pass: pass)
            gradients.replaceSubrange(stage.parameterRange, with: layerGradients)
            deltas[stage.inputActivation] = dx
        }
        return (deltas[0], gradients)
    }

    /// `range` of a slice whose indices start at `values.startIndex`, not 0.
    private static func slice(_ values: ArraySlice<Float>, _ range: Range<Int>) -> ArraySlice<Float> {
        values[shifted(range, by: values.startIndex)]
    }

    private static func shifted(_ range: Range<Int>, by offset: Int) -> Range<Int> {
        (range.lowerBound + offset)..<(range.upperBound + offset)
    }
}
