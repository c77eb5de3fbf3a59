// MARK: - Whole-model composites that every backend's tests compare against

extension Reference {
    /// The model's log-probabilities for `rows` samples `x` (rows, input values) in evaluation (dropout off):
    /// every stage, then log-softmax. Shape (rows, classes).
    public static func forward(parameters: Parameters, x: [Float], rows: Int) -> [Float] {
        let activations = forwardActivations(parameters: parameters, x: x, rows: rows, pass: .evaluation)
        return logSoftmaxForward(activations.last!, rows: rows, classes: parameters.model.classes)
    }

    /// The training loss (`settings`: the lesson's log-softmax + NLL unless told otherwise) of the batch (`x`,
    /// `labels`) and its gradient with respect to every parameter, laid out as `Parameters.values` is: the chain
    /// rule, stage by stage from the loss back to the input.
    public static func lossAndGradients(parameters: Parameters, x: [Float], labels: [UInt8], pass: Pass,
                                        loss settings: LossConfig = .lesson) -> (loss: Float, gradients: [Float]) {
        let model = parameters.model, rows = labels.count
        let activations = forwardActivations(parameters: parameters, x: x, rows: rows, pass: pass)
        let (loss, dz) = lossForwardBackward(activations.last!, labels: labels, classes: model.classes, settings: settings)

        var gradients = [Float](repeating: 0, count: model.parameterCount)
        // The loss's gradient with respect to each activation, as far back as some parameter needs it.
        var deltas: [Int: [Float]] = [model.stages.last!.outputActivation: dz]
        for stage in model.stages.reversed() where !stage.layer.isView {
            guard let dy = deltas[stage.outputActivation] else { continue }
            let (dx, layerGradients) = stage.layer.referenceOperation(stage).backward(
                x: activations[stage.inputActivation], y: activations[stage.outputActivation], dy: dy, rows: rows,
                parameters: parameters.of(stage), pass: pass)
            gradients.replaceSubrange(stage.parameterRange, with: layerGradients)
            deltas[stage.inputActivation] = dx
        }
        return (loss, gradients)
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
        let (batchLoss, gradients) = lossAndGradients(parameters: parameters, x: x, labels: labels,
                                                      pass: .training(seed: seed, step: state.step), loss: loss)
        let names = optimizer.stateNames
        var vectors = names.map { state.buffers[$0]! }
        UpdateVectors.over(parameters: &parameters.values, gradients: gradients, state: &vectors) {
            optimizer.rule.update($0, step: state.step, learningRate: learningRate ?? optimizer.learningRate, settings: optimizer)
        }
        for (name, vector) in zip(names, vectors) { state.buffers[name] = vector }
        return batchLoss
    }

    /// Every activation of a forward pass, by `Stage.inputActivation`/`outputActivation` (0 is `x`);
    /// the last is the logits.
    static func forwardActivations(parameters: Parameters, x: [Float], rows: Int, pass: Pass) -> [[Float]] {
        var activations = [x]
        for stage in parameters.model.stages where !stage.layer.isView {
            activations.append(stage.layer.referenceOperation(stage).forward(
                activations[stage.inputActivation], rows: rows, parameters: parameters.of(stage), pass: pass))
        }
        return activations
    }
}
