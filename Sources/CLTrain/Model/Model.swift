/// A model: an ordered list of layers, as `nn.Sequential(*layers, nn.LogSoftmax(1))` with an NLL loss.
///
/// Everything the backends need is derived here, once: each layer's input and output shapes, the parameter
/// tensors with PyTorch's names and their place in one flat vector, and the stages a step runs. Backends
/// walk `stages` and never restate the topology.
public struct Model: Sendable, Equatable, CustomStringConvertible {
    public let layers: [any Layer]
    /// One sample as the data holds it, e.g. 1×28×28.
    public let input: Shape
    let plan: StagePlan
    public var stages: [Stage] { plan.stages }
    /// Every parameter tensor, in `state_dict` order, as a slot of the flat parameter vector.
    public var tensors: [TensorSlot] { plan.tensors }
    public var parameterCount: Int { plan.parameterCount }
    /// Every buffer (non-trainable state such as a batch norm's running statistics), in `state_dict` order, as a
    /// slot of the flat buffer vector that no optimizer touches.
    public var buffers: [TensorSlot] { plan.buffers }
    public var bufferCount: Int { plan.bufferCount }
    /// The buffers' values before any training: PyTorch's initial running statistics.
    public var initialBuffers: [Float] { plan.initialBuffers }
    /// Names of the buffers that count training steps (`num_batches_tracked`, stored as I64): their value is the
    /// optimizer's step, so they take no place in the buffer vector.
    public var stepCounters: [String] { plan.stepCounters }
    /// Values per sample of each activation a step produces: 0 is the input batch, then one per stage that
    /// is not a view (a view's output is its input's activation).
    public var activationSizes: [Int] { plan.activationSizes }

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
        plan = try StagePlan(layers: layers, input: input)
        guard plan.output.isFlat else {
            throw ModelSpecError("the last layer gives \(plan.output) values per sample; end the model with flatten and linear(classes)")
        }
        if let classes, plan.output.count != classes {
            throw ModelSpecError("the last layer gives \(plan.output) outputs but the data has \(classes) classes; "
                + "end the model with linear(\(classes))")
        }
    }

    /// The lesson's network for `input` and `classes`.
    public static func lesson(input: Shape = .image(channels: 1, height: 28, width: 28), classes: Int = 10) -> Model {
        try! Model("lesson", input: input, classes: classes)
    }

    /// Why a training batch of `rows` samples cannot pass through the model (a batch norm given one value per
    /// channel), naming the layer, or nil.
    public func trainingBatchProblem(rows: Int) -> String? { plan.trainingBatchProblem(rows: rows) }

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
    /// This layer's buffers (a batch norm's running statistics), slots of the flat buffer vector.
    public let buffers: [TensorSlot]
    /// Indices into `Model.activationSizes`.
    public let inputActivation: Int
    public let outputActivation: Int

    /// Where the layer's parameters sit in the flat parameter vector.
    public var parameterRange: Range<Int> { Self.span(tensors) }
    /// Where the layer's buffers sit in the flat buffer vector.
    public var bufferRange: Range<Int> { Self.span(buffers) }

    private static func span(_ slots: [TensorSlot]) -> Range<Int> {
        (slots.first?.offset ?? 0)..<(slots.last.map { $0.offset + $0.count } ?? 0)
    }
}

/// Where one named tensor lives inside the flat parameter vector.
public struct TensorSlot: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}
