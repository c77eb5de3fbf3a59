/// Why a checkpoint could not be read or written. Every message is one line that names the file,
/// so a user who passed the wrong `--resume` path sees at once which file and what is wrong with it.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The operating system refused: no such file, a directory, no permission.
    case unreadable(path: String, reason: String)
    /// Not even the 8 bytes of the header length.
    case tooShort(path: String, bytes: Int)
    case headerBeyondFile(path: String, headerBytes: UInt64, fileBytes: Int)
    case malformedHeader(path: String, problem: String)
    case unsupportedDtype(path: String, tensor: String, dtype: String)
    case wrongDtype(path: String, tensor: String, found: String, expected: String)
    /// A `torch.save` file (zip or pickle): unpickling runs code, and cltrain reads safetensors only.
    case pytorchPickle(path: String)
    /// Tensors that do not fit the model `--init` starts: every mismatch, each a few words.
    case mismatchedTensors(path: String, model: String, problems: [String])
    case badOffsets(path: String, tensor: String, problem: String)
    /// Bytes after the last tensor that no tensor claims; safetensors' reference loader refuses these too.
    case unclaimedData(path: String, bytes: Int)
    case missingTensor(path: String, tensor: String)
    case unexpectedTensor(path: String, tensor: String)
    case missingMetadata(path: String, key: String)
    case badMetadata(path: String, key: String, value: String, expected: String)
    case unsupportedFormat(path: String, version: String)
    /// A tensor's shape contradicts the model the metadata describes.
    case wrongShape(path: String, tensor: String, found: [Int], expected: [Int], model: String)
    /// A NaN or infinity in a tensor: training from it or evaluating it gives meaningless figures.
    case nonFinite(path: String, tensor: String, index: Int, value: Float)
    /// `save` was handed optimizer state that `load` would refuse.
    case inconsistentState(path: String, problem: String)
    case writeFailed(path: String, step: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the checkpoint: \(reason)"
        case let .tooShort(path, bytes):
            return "\(path): only \(bytes) bytes, too short for a safetensors file (it starts with an 8-byte header length)"
        case let .headerBeyondFile(path, headerBytes, fileBytes):
            return "\(path): the header claims \(headerBytes) bytes but the file has only \(fileBytes); truncated or not a safetensors file"
        case let .malformedHeader(path, problem):
            return "\(path): the safetensors header \(problem)"
        case let .unsupportedDtype(path, tensor, dtype):
            return "\(path): tensor \(tensor) has dtype \(dtype); cltrain reads F32 (and I64 counters)"
        case let .wrongDtype(path, tensor, found, expected):
            return "\(path): tensor \(tensor) is \(found) but must be \(expected)"
        case let .pytorchPickle(path):
            return "\(path): a torch.save file (pickle), which cltrain does not read; save the weights as safetensors in PyTorch: "
                + "from safetensors.torch import save_file; save_file(model.state_dict(), \"model.safetensors\")"
        case let .mismatchedTensors(path, model, problems):
            return "\(path): the tensors do not fit the model \(model): " + problems.joined(separator: "; ")
        case let .badOffsets(path, tensor, problem):
            return "\(path): tensor \(tensor): \(problem)"
        case let .unclaimedData(path, bytes):
            return "\(path): \(bytes) bytes after the last tensor belong to no tensor"
        case let .missingTensor(path, tensor):
            return "\(path): tensor \(tensor) is missing"
        case let .unexpectedTensor(path, tensor):
            return "\(path): unexpected tensor \(tensor)"
        case let .missingMetadata(path, key) where key == Checkpoint.formatKey:
            return "\(path): no \(key) in the metadata; not a checkpoint written by cltrain"
        case let .missingMetadata(path, key):
            return "\(path): metadata \(key) is missing"
        case let .badMetadata(path, key, value, expected):
            return "\(path): metadata \(key) is \"\(value)\", expected \(expected)"
        case let .unsupportedFormat(path, version):
            return "\(path): checkpoint format \(version); this cltrain reads formats 1 to \(Checkpoint.formatVersion)"
        case let .wrongShape(path, tensor, found, expected, model):
            return "\(path): tensor \(tensor) is \(found), but the metadata's model (\(model)) needs \(expected); "
                + "the tensors are for another model"
        case let .nonFinite(path, tensor, index, value):
            return "\(path): tensor \(tensor) holds \(value) at index \(index); a checkpoint's values must be finite"
        case let .inconsistentState(path, problem):
            return "\(path): not saved: \(problem)"
        case let .writeFailed(path, step, reason):
            return "\(path): not saved: cannot \(step): \(reason)"
        }
    }
}
