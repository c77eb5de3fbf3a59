// MARK: - Whole-model composites that every backend's tests compare against

extension Reference {
    /// The model's log-probabilities for `rows` samples `x` (rows, inputs): every linear layer with ReLU
    /// between them, then log-softmax. Shape (rows, classes).
    public static func forward(parameters: Parameters, x: [Float], rows: Int) -> [Float] {
        let activations = forwardActivations(parameters: parameters, x: x, rows: rows)
        return logSoftmaxForward(activations.last!, rows: rows, classes: parameters.architecture.classes)
    }

    /// The mean NLL loss of the batch (`x`, `labels`) and its gradient with respect to every parameter,
    /// laid out as `Parameters.values` is.
    public static func lossAndGradients(parameters: Parameters, x: [Float], labels: [UInt8]) -> (loss: Float, gradients: [Float]) {
        let architecture = parameters.architecture
        let rows = labels.count
        let activations = forwardActivations(parameters: parameters, x: x, rows: rows)
        let logp = logSoftmaxForward(activations.last!, rows: rows, classes: architecture.classes)
        let loss = nllLoss(logProbabilities: logp, labels: labels, rows: rows, classes: architecture.classes)

        var gradients = [Float](repeating: 0, count: architecture.parameterCount)
        var dy = nllLogSoftmaxBackward(logProbabilities: logp, labels: labels, rows: rows, classes: architecture.classes)
        for layer in (0..<architecture.layerCount).reversed() {
            let (inputs, outputs) = (architecture.inputs(layer), architecture.outputs(layer))
            let weightSlot = architecture.tensors[2 * layer], biasSlot = architecture.tensors[2 * layer + 1]
            gradients.replaceSubrange(weightSlot.range, with: matmulBackwardWeight(
                dy: dy, x: activations[layer], rows: rows, inputs: inputs, outputs: outputs))
            gradients.replaceSubrange(biasSlot.range, with: biasBackward(dy: dy, rows: rows, outputs: outputs))
            if layer > 0 {
                // Every layer but the first reads a ReLU output, so its input gradient passes that ReLU too.
                dy = matmulBackwardInput(dy: dy, weight: Array(parameters.weight(layer)), rows: rows,
                                         inputs: inputs, outputs: outputs, reluOutput: activations[layer])
            }
        }
        return (loss, gradients)
    }

    /// One training step on the batch (`x`, `labels`): forward, loss, backward, and an update with `optimizer`.
    /// `state.step` is incremented before the update, so Adam's first step is step 1. Returns the batch's loss
    /// before the update.
    @discardableResult
    public static func trainStep(
        parameters: inout Parameters, state: inout OptimizerState, optimizer: OptimizerConfig,
        x: [Float], labels: [UInt8]
    ) -> Float {
        let (loss, gradients) = lossAndGradients(parameters: parameters, x: x, labels: labels)
        state.step += 1
        switch optimizer.kind {
        case .sgd:
            var buffer = state.buffers["momentum_buffer"] ?? []
            sgdUpdate(parameters: &parameters.values, gradients: gradients, momentumBuffer: &buffer,
                      learningRate: optimizer.learningRate, momentum: optimizer.momentum, weightDecay: optimizer.weightDecay)
            if optimizer.momentum != 0 { state.buffers["momentum_buffer"] = buffer }
        case .adam:
            var expAvg = state.buffers["exp_avg"]!, expAvgSq = state.buffers["exp_avg_sq"]!
            adamUpdate(parameters: &parameters.values, gradients: gradients, expAvg: &expAvg, expAvgSq: &expAvgSq,
                       step: state.step, config: optimizer)
            state.buffers["exp_avg"] = expAvg
            state.buffers["exp_avg_sq"] = expAvgSq
        }
        return loss
    }

    /// The input followed by every layer's output: ReLU outputs for hidden layers, raw logits for the last.
    static func forwardActivations(parameters: Parameters, x: [Float], rows: Int) -> [[Float]] {
        let architecture = parameters.architecture
        var activations = [x]
        for layer in 0..<architecture.layerCount {
            activations.append(matmulForward(
                x: activations[layer], weight: Array(parameters.weight(layer)), bias: Array(parameters.bias(layer)),
                rows: rows, inputs: architecture.inputs(layer), outputs: architecture.outputs(layer),
                relu: layer < architecture.layerCount - 1))
        }
        return activations
    }
}
