/// The stages a list of layers runs, as `Model` and a residual block's body and shortcut derive them: each layer's
/// input and output shapes, its parameter and buffer tensors with PyTorch's names (`index.name`) and their place in
/// the flat vectors, which ReLUs run inside the layer before, and the activations a pass produces.
struct StagePlan: Sendable {
    let stages: [Stage]
    /// Every parameter tensor, in `state_dict` order, as a slot of the flat parameter vector.
    let tensors: [TensorSlot]
    /// Every buffer (running statistics), in `state_dict` order, as a slot of the flat buffer vector.
    let buffers: [TensorSlot]
    /// Every buffer as the layers declare them, step counters included, named `index.name`.
    let layerBuffers: [LayerBuffer]
    /// Values per sample of each activation: 0 is the input, then one per stage that is not a view.
    let activationSizes: [Int]
    let output: Shape

    /// - Parameters:
    ///   - input: the shape of one sample the first layer reads.
    ///   - inputNeedsGradient: whether the gradient must reach the input (a block inside a model whose earlier
    ///     layers have parameters); otherwise only stages after the first with parameters pass one back.
    ///   - position: describes a layer in errors, from its index, e.g. "layer 3" or "layer 1 of residual block 3".
    init(layers: [any Layer], input: Shape, inputNeedsGradient: Bool = false,
         position: (Int) -> String = { "layer \($0)" }) throws {
        var stages: [Stage] = [], tensors: [TensorSlot] = [], buffers: [TensorSlot] = []
        var layerBuffers: [LayerBuffer] = []
        var shape = input, activation = 0, activationSizes = [input.count]
        var reluOutputs = [false]  // by activation: whether it is the output of an absorbed ReLU
        var offset = 0, bufferOffset = 0, hasParameters = inputNeedsGradient
        // Found once rather than by searching the rest of the list at every ReLU, so building stays linear in
        // the layer count (40,000 layers took 72 s that way).
        let lastMasking = layers.lastIndex { !$0.isView && !$0.commutesWithReLU } ?? -1
        for (index, layer) in layers.enumerated() {
            // A ReLU right after a layer that can run it inside its own kernels becomes part of that stage, as
            // long as a later stage can apply its mask to the gradient (views and max-pool pass it on; the loss
            // would not apply it).
            if layer is ReLU, let previous = stages.last, previous.layer.absorbsReLU, !previous.relu,
               previous.index == index - 1, lastMasking > index {
                stages[stages.count - 1].relu = true
                reluOutputs[previous.outputActivation] = true
                continue
            }
            // The lesson's `images.view(N, -1)`: a model that starts with a linear layer reads images flattened.
            let stageInput = index == 0 && layer is Linear ? shape.flattened : shape
            let output: Shape
            do { output = try layer.outputShape(for: stageInput) } catch let error as LayerShapeError {
                throw ModelSpecError("\(layer) (\(position(index))) \(error.reason)")
            }
            guard output.count < Int(Int32.max) else {
                throw ModelSpecError("\(layer) (\(position(index))) makes \(output.count) values per sample; the limit is \(Int32.max)")
            }
            var slots: [TensorSlot] = [], bufferSlots: [TensorSlot] = []
            for (name, tensorShape) in layer.parameters(for: stageInput) {
                let slot = TensorSlot(name: "\(index).\(name)", shape: tensorShape, offset: offset)
                offset += slot.count
                guard offset < Int(Int32.max) else {
                    throw ModelSpecError("\(layer) (\(position(index))) brings the parameters past \(Int32.max)")
                }
                slots.append(slot)
            }
            for buffer in layer.buffers(for: stageInput) {
                layerBuffers.append(LayerBuffer("\(index).\(buffer.name)", shape: buffer.shape, initial: buffer.initial))
                guard buffer.initial != nil else { continue }  // a step counter: no place in the vector
                let slot = TensorSlot(name: "\(index).\(buffer.name)", shape: buffer.shape, offset: bufferOffset)
                bufferOffset += slot.count
                bufferSlots.append(slot)
            }
            let outputActivation: Int
            if layer.isView {
                outputActivation = activation
            } else {
                outputActivation = activationSizes.count
                activationSizes.append(output.count)
                // After a layer that commutes with ReLU the mask passes on: the next stage masks by this output.
                reluOutputs.append(layer.commutesWithReLU && reluOutputs[activation])
            }
            stages.append(Stage(
                index: index, layer: layer, input: stageInput, output: output, relu: false,
                maskInputGradient: reluOutputs[activation] && !layer.commutesWithReLU,
                needsInputGradient: hasParameters,
                tensors: slots, buffers: bufferSlots, inputActivation: activation, outputActivation: outputActivation))
            tensors += slots
            buffers += bufferSlots
            hasParameters = hasParameters || !slots.isEmpty
            shape = output
            activation = outputActivation
        }
        self.stages = stages
        self.tensors = tensors
        self.buffers = buffers
        self.layerBuffers = layerBuffers
        self.activationSizes = activationSizes
        self.output = shape
    }

    func trainingBatchProblem(rows: Int) -> String? {
        stages.lazy.compactMap { stage in
            stage.layer.trainingBatchProblem(rows: rows, input: stage.input).map { "\(stage.layer) (layer \(stage.index)): \($0)" }
        }.first
    }

    var parameterCount: Int { tensors.last.map { $0.offset + $0.count } ?? 0 }
    var bufferCount: Int { buffers.last.map { $0.offset + $0.count } ?? 0 }
    /// Where each buffer starts, back to back in `buffers` order: `nn.BatchNorm`'s zeros and ones.
    var initialBuffers: [Float] {
        layerBuffers.flatMap { buffer in buffer.initial.map { [Float](repeating: $0, count: buffer.shape.reduce(1, *)) } ?? [] }
    }
    /// The names of the buffers that count training steps (`num_batches_tracked`): their value is the step.
    var stepCounters: [String] { layerBuffers.filter { $0.initial == nil }.map(\.name) }
    /// The activation the last stage writes.
    var outputActivation: Int { stages.last?.outputActivation ?? 0 }
}
