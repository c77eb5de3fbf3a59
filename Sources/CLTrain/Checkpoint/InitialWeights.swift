/// The weights a new run starts from (`train --init FILE`): a cltrain checkpoint, of this dataset or another (transfer
/// learning), or a plain PyTorch `state_dict` saved with safetensors, which carries no metadata at all. The file's
/// tensors are matched to the model's (`Model.tensors`, `buffers` and `stepCounters`, whatever kinds they come from) by name, as `nn.Sequential` names
/// them, by shape and by element type, and every mismatch is listed at once, so one edit fixes them all.
public struct InitialWeights {
    public let path: String
    /// The model of a cltrain checkpoint, as its canonical spec; nil for a PyTorch state dict.
    public let spec: String?
    let tensors: [String: SafeTensors.Tensor]

    public init(path: String) throws {
        let bytes: [UInt8]
        do { bytes = try FileBytes.contents(of: path) } catch { throw CheckpointError.unreadable(path: path, reason: error.reason) }
        let (tensors, metadata) = try SafeTensors.decode(bytes, path: path)
        let isCheckpoint = metadata?[Checkpoint.formatKey] != nil
        self.path = path
        spec = isCheckpoint ? metadata?["model"] : nil
        // A checkpoint's optimizer state belongs to its own run; a new run starts its optimizer afresh.
        self.tensors = tensors.filter { !(isCheckpoint && $0.key.hasPrefix(Checkpoint.optimizerPrefix)) }
    }

    /// What the file must hold for `model`: every parameter tensor and buffer (F32), and each step counter (an I64
    /// scalar, whose value a new run does not take: it counts that run's steps).
    private func expected(_ model: Model) -> [(name: String, shape: [Int], type: ElementType)] {
        (model.tensors + model.buffers).map { ($0.name, $0.shape, .f32) } + model.stepCounters.map { ($0, [], .i64) }
    }

    /// Whether `name` belongs to the last layer with parameters, which `reinitializeLast` draws afresh: its tensors are
    /// neither needed nor extras (their shape may differ: another dataset's classes).
    private func drawnAfresh(_ model: Model, _ reinitializeLast: Bool) -> (String) -> Bool {
        let prefix = reinitializeLast ? model.stages.last { !$0.tensors.isEmpty }.map { "\($0.index)." } : nil
        return { name in prefix.map(name.hasPrefix) ?? false }
    }

    /// Refuses the file where its tensors do not fit `model`, listing every mismatch; checked before anything the size
    /// of the model is allocated.
    public func check(_ model: Model, reinitializeLast: Bool = false) throws {
        let fresh = drawnAfresh(model, reinitializeLast)
        let slots = expected(model), names = Set(slots.map(\.name))
        var problems: [String] = []
        for slot in slots where !fresh(slot.name) {
            if let tensor = tensors[slot.name] {
                if tensor.shape != slot.shape || tensor.type != slot.type {
                    problems.append("\(slot.name) is \(tensor.type.rawValue) \(tensor.shape), the model's is \(slot.type.rawValue) \(slot.shape)")
                } else if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
                    throw CheckpointError.nonFinite(path: path, tensor: slot.name, index: index, value: tensor.values[index])
                }
            } else {
                problems.append("\(slot.name) \(slot.shape) is missing")
            }
        }
        for name in tensors.keys.sorted() where !names.contains(name) && !fresh(name) {
            problems.append("\(name) is not in the model")
        }
        guard problems.isEmpty else {
            // A state dict of a module with named attributes (`conv1.weight`) has no name that starts with an index.
            if !tensors.keys.contains(where: { $0.first?.isNumber == true }) {
                problems.append("the model's tensors are named as nn.Sequential names them (\(model.tensors.prefix(2).map(\.name).joined(separator: ", ")), …)")
            }
            throw CheckpointError.mismatchedTensors(path: path, model: model.spec, problems: problems)
        }
    }

    /// `fresh` with every tensor and buffer replaced by the file's, except those of the last layer with parameters where
    /// `reinitializeLast`, which keep their fresh values.
    public func parameters(replacing fresh: Parameters, reinitializeLast: Bool = false) throws -> Parameters {
        try check(fresh.model, reinitializeLast: reinitializeLast)
        let model = fresh.model, kept = drawnAfresh(model, reinitializeLast)
        func replaced(_ values: [Float], _ slots: [TensorSlot]) -> [Float] {
            var values = values
            // `check` found every other tensor, of the model's shape.
            for slot in slots where !kept(slot.name) {
                values.replaceSubrange(slot.range, with: tensors[slot.name]!.values)
            }
            return values
        }
        return Parameters(model: model, values: replaced(fresh.values, model.tensors), buffers: replaced(fresh.buffers, model.buffers))
    }
}
