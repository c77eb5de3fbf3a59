/// A model: an ordered list of layers, as `nn.Sequential(*layers, nn.LogSoftmax(1))` with an NLL loss.
///
/// Everything the backends need is derived here, once: each layer's input and output shapes, the parameter
/// tensors with PyTorch's names and their place in one flat vector, and the stages a step runs. Backends
/// walk `stages` and never restate the topology.
public struct Model: Sendable, Equatable, CustomStringConvertible {
    public let layers: [any Layer]
    /// One sample as the data holds it, e.g. 1×28×28.
    public let input: Shape
    public let stages: [Stage]
    /// Every parameter tensor, in `state_dict` order, as a slot of the flat parameter vector.
    public let tensors: [TensorSlot]
    public let parameterCount: Int
    /// Values per sample of each activation a step produces: 0 is the input batch, then one per stage that
    /// is not a view (a view's output is its input's activation).
    public let activationSizes: [Int]

    /// - Parameters:
    ///   - spec: a preset name or a layer list (`ModelSpec`).
    ///   - input: the shape of one sample of the data.
    ///   - classes: the data's number of classes, which the last layer must produce; nil to take the model's.
    public init(_ spec: String, input: Shape, classes: Int? = nil) throws {
        let items = try ModelSpec.parse(spec)
        try self.init(layers: items.map(\.layer), input: input, classes: classes)
        try ModelSpec.checkStatedInputs(items, in: self)
    }

    public init(layers: [any Layer], input: Shape, classes: Int? = nil) throws {
        guard !layers.isEmpty else { throw ModelSpecError("the model has no layers") }
        self.layers = layers
        self.input = input
        var stages: [Stage] = [], tensors: [TensorSlot] = []
        var shape = input, activation = 0, activationSizes = [input.count]
        var reluOutputs = [false]  // by activation: whether it is the output of an absorbed ReLU
        var offset = 0, hasParameters = false
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
                throw ModelSpecError("\(layer) (layer \(index)) \(error.reason)")
            }
            guard output.count < Int(Int32.max) else {
                throw ModelSpecError("\(layer) (layer \(index)) makes \(output.count) values per sample; the limit is \(Int32.max)")
            }
            var slots: [TensorSlot] = []
            for (name, tensorShape) in layer.parameters(for: stageInput) {
                let slot = TensorSlot(name: "\(index).\(name)", shape: tensorShape, offset: offset)
                offset += slot.count
                guard offset < Int(Int32.max) else {
                    throw ModelSpecError("\(layer) (layer \(index)) brings the parameters past \(Int32.max)")
                }
                slots.append(slot)
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
                tensors: slots, inputActivation: activation, outputActivation: outputActivation))
            tensors += slots
            hasParameters = hasParameters || !slots.isEmpty
            shape = output
            activation = outputActivation
        }
        guard shape.isFlat else {
            throw ModelSpecError("the last layer gives \(shape) values per sample; end the model with flatten and linear(classes)")
        }
        if let classes, shape.count != classes {
            throw ModelSpecError("the last layer gives \(shape) outputs but the data has \(classes) classes; "
                + "end the model with linear(\(classes))")
        }
        self.stages = stages
        self.tensors = tensors
        self.parameterCount = offset
        self.activationSizes = activationSizes
    }

    /// The lesson's network for `input` and `classes`.
    public static func lesson(input: Shape = .image(channels: 1, height: 28, width: 28), classes: Int = 10) -> Model {
        try! Model("lesson", input: input, classes: classes)
    }

    /// The canonical layer list: parsing it gives this model again.
    public var spec: String { layers.map(\.description).joined(separator: ", ") }
    public var classes: Int { stages.last!.output.count }

    public var description: String {
        "\(spec) (\(input) → \(classes), \(parameterCount) parameters)"
    }

    public static func == (a: Model, b: Model) -> Bool { a.spec == b.spec && a.input == b.input }
}

/// One step of a model's forward pass: a layer (with the ReLU after it, where it absorbs one) applied to an
/// activation. Its backward pass is the same stage read in reverse.
public struct Stage: Sendable {
    /// The layer's position in the list: PyTorch's `nn.Sequential` index, the prefix of its tensor names.
    public let index: Int
    public let layer: any Layer
    public let input: Shape
    public let output: Shape
    /// The ReLU that follows the layer runs inside this stage's forward pass.
    public internal(set) var relu: Bool
    /// The stage's input is the output of an absorbed ReLU, so the gradient it passes back must be zeroed
    /// where that input is not positive: the ReLU's backward pass, fused into this stage's.
    public let maskInputGradient: Bool
    /// Some earlier stage has parameters, so the gradient must flow back through this one.
    public let needsInputGradient: Bool
    /// This layer's parameter tensors (empty for most kinds but linear and conv2d).
    public let tensors: [TensorSlot]
    /// Indices into `Model.activationSizes`.
    public let inputActivation: Int
    public let outputActivation: Int

    /// Where the layer's parameters sit in the flat parameter vector.
    public var parameterRange: Range<Int> {
        (tensors.first?.offset ?? 0)..<(tensors.last.map { $0.offset + $0.count } ?? 0)
    }
}

/// Where one named tensor lives inside the flat parameter vector.
public struct TensorSlot: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    /// How a file stores it: F32, or I64 for a counter kept beside the parameters.
    public var type: ElementType = .f32
    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}
