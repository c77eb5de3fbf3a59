import Foundation
import Testing
@testable import CLTrain

/// An MLP for MNIST with these hidden widths, as `--hidden` builds it.
func mnistMLP(_ hidden: [Int]) -> Model {
    try! Model(ModelSpec.mlp(hidden: hidden, classes: 10), input: .image(channels: 1, height: 28, width: 28))
}

/// A fresh directory per test, removed when the test lets go of it, so tests running in parallel never meet.
/// A checkpoint with every field away from its default, so a field the format forgets fails the round trip.
func sampleCheckpoint(_ model: Model = .lesson(), kind: String = Adam.name, seed: UInt64) -> Checkpoint {
    var generator = SeededGenerator(seed: seed)
    var optimizer = OptimizerConfig(kind: kind, learningRate: 0.0011, momentum: kind == SGD.name ? 0.9 : 0, weightDecay: 1e-4)
    optimizer.beta1 = 0.85
    optimizer.beta2 = 0.995
    optimizer.epsilon = 3e-7
    let count = model.parameterCount
    let buffers = Dictionary(uniqueKeysWithValues: optimizer.stateNames.map { name in
        (name, (0..<count).map { _ in Float.random(in: -1...1, using: &generator) })
    })
    return Checkpoint(parameters: Parameters(initializing: model, using: &generator), optimizer: optimizer,
                      optimizerState: OptimizerState(step: 1234, buffers: buffers),
                      normalization: sampleNormalization(channels: model.input.image?.channels ?? 1), epoch: 3, seed: seed,
                      dataset: "MNIST train", classNames: (0..<model.classes).map { "class \($0)" },
                      validationSplit: ValidationSplit(fraction: 0.2, seed: seed), resize: ImageSize(height: 24, width: 20),
                      augmentation: Augmentation(padding: 2, flip: true))
}

/// MNIST's one mean and std, or per-channel values where the model reads several channels.
private func sampleNormalization(channels: Int) -> Normalization {
    channels == 1 ? Normalization(mean: 0.1307, std: 0.3081)
        : Normalization(mean: (0..<channels).map { 0.4 + 0.05 * Float($0) }, std: (0..<channels).map { 0.25 - 0.01 * Float($0) })
}

@Suite struct CheckpointRoundTripTests {
    @Test(arguments: [(Model.lesson(), Adam.name), (.lesson(), SGD.name),
                      (mnistMLP([32, 16, 8]), Adam.name), (mnistMLP([]), SGD.name),
                      (try! Model("dropout", input: .image(channels: 1, height: 28, width: 28)), Adam.name),
                      (try! Model("flatten, dropout(0.25), linear(7), relu, linear(3)", input: .image(channels: 2, height: 5, width: 3)), SGD.name)])
    func roundTrip(model: Model, kind: String) throws {
        let seed = UInt64.random(in: 0 ... .max)
        print("seed \(seed)")
        let scratch = try TemporaryFolder()
        let checkpoint = sampleCheckpoint(model, kind: kind, seed: seed)
        try checkpoint.save(to: scratch.file("model.safetensors"))
        #expect(try Checkpoint.load(from: scratch.file("model.safetensors")) == checkpoint)
        #expect(scratch.contents == ["model.safetensors"])
    }

    @Test func tensorsCarryPyTorchNames() throws {
        let scratch = try TemporaryFolder()
        let model = mnistMLP([32, 16])
        try sampleCheckpoint(model, seed: 1).save(to: scratch.file("m.safetensors"))
        let (tensors, metadata) = try SafeTensors.decode(FileBytes.contents(of: scratch.file("m.safetensors")), path: "m")
        #expect(tensors.mapValues(\.shape) == ["0.weight": [32, 784], "0.bias": [32], "2.weight": [16, 32], "2.bias": [16],
                                               "4.weight": [10, 16], "4.bias": [10],
                                               "optimizer.exp_avg": [model.parameterCount],
                                               "optimizer.exp_avg_sq": [model.parameterCount]])
        #expect(metadata?["cltrain.format"] == "2")
        #expect(metadata?["model"] == "linear(32), relu, linear(16), relu, linear(10)")
        #expect(metadata?["input_shape"] == "1,28,28")
        #expect(metadata?["betas"] == "0.85,0.995")
    }

    @Test func dataIsAlignedToEightBytes() throws {
        let scratch = try TemporaryFolder()
        try sampleCheckpoint(seed: 2).save(to: scratch.file("m.safetensors"))
        let bytes = try FileBytes.contents(of: scratch.file("m.safetensors"))
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect((8 + headerLength) % 8 == 0)
    }

    @Test func saveRefusesStateLoadWouldRefuse() throws {
        let scratch = try TemporaryFolder()
        var checkpoint = sampleCheckpoint(seed: 4)
        checkpoint.optimizerState.buffers["exp_avg"]!.removeLast()
        #expect(throws: CheckpointError.self) { try checkpoint.save(to: scratch.file("m.safetensors")) }
        checkpoint = sampleCheckpoint(seed: 4)
        checkpoint.optimizerState.buffers["momentum_buffer"] = checkpoint.optimizerState.buffers["exp_avg"]
        #expect(throws: CheckpointError.self) { try checkpoint.save(to: scratch.file("m.safetensors")) }
        #expect(scratch.contents.isEmpty)
    }
}

@Suite struct CheckpointAtomicWriteTests {
    @Test func replacesAnExistingFileWhole() throws {
        let scratch = try TemporaryFolder()
        let path = scratch.file("m.safetensors")
        try sampleCheckpoint(seed: 5).save(to: path)
        let newer = sampleCheckpoint(mnistMLP([20]), kind: SGD.name, seed: 6)
        try newer.save(to: path)
        #expect(try Checkpoint.load(from: path) == newer)
        #expect(scratch.contents == ["m.safetensors"])
    }

    /// A directory (like a FIFO or a device) in the target's place is refused before a temporary file exists:
    /// renaming over it would replace it.
    @Test func nonRegularTargetIsLeftAsItIs() throws {
        let scratch = try TemporaryFolder()
        let target = scratch.file("m.safetensors")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: target + "/inside"))

        #expect { try sampleCheckpoint(seed: 7).save(to: target) } throws: { error in
            guard case let CheckpointError.writeFailed(path, step, _) = error else { return false }
            return path == target && step == "replace it"
        }
        #expect(scratch.contents == ["m.safetensors"])
        #expect(try String(contentsOfFile: target + "/inside", encoding: .utf8) == "keep")
    }

    /// The temporary file cannot be created: its name (the target's plus a dot and a random suffix) is over the
    /// file system's 255-byte limit. Unlike a read-only directory, which root writes into anyway, this fails
    /// for every user.
    @Test func uncreatableTemporaryLeavesOldFile() throws {
        let scratch = try TemporaryFolder()
        let name = String(repeating: "m", count: 240) + ".safetensors"
        let path = scratch.file(name)
        let old = sampleCheckpoint(seed: 8)
        try old.save(to: scratch.file("old.safetensors"))  // a save to the long name itself would fail the same way
        try FileManager.default.moveItem(atPath: scratch.file("old.safetensors"), toPath: path)

        #expect { try sampleCheckpoint(seed: 9).save(to: path) } throws: { error in
            guard case let CheckpointError.writeFailed(_, step, reason) = error else { return false }
            return step.hasPrefix("create") && reason == "File name too long"
        }
        #expect(try Checkpoint.load(from: path) == old)
        #expect(scratch.contents == [name])
    }
}

@Suite struct CheckpointCorruptionTests {
    /// Writes `bytes`, loads them, and checks the exact error and that its message is one line naming the file.
    func expectRefusal(_ bytes: [UInt8], _ expected: (String) -> CheckpointError) throws {
        let scratch = try TemporaryFolder()
        let path = scratch.file("bad.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: expected(path)) { try Checkpoint.load(from: path) }
        let message = expected(path).description
        #expect(message.hasPrefix(path) && !message.contains("\n"))
    }

    /// A safetensors file with a hand-written header, for damage the encoder cannot produce.
    func file(header: String, data: [UInt8]) -> [UInt8] {
        let json = [UInt8](header.utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
    }

    /// A valid checkpoint's tensors and metadata, re-encoded after `spoil` has changed them.
    func spoiled(_ spoil: (inout [String: SafeTensors.Tensor], inout [String: String]) -> Void) throws -> [UInt8] {
        let scratch = try TemporaryFolder()
        try sampleCheckpoint(seed: 10).save(to: scratch.file("m.safetensors"))
        var (tensors, metadata) = try SafeTensors.decode(FileBytes.contents(of: scratch.file("m.safetensors")), path: "")
        var strings = metadata ?? [:]
        spoil(&tensors, &strings)
        return SafeTensors.encode(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: strings)
    }

    @Test func missingFile() throws {
        let scratch = try TemporaryFolder()
        let path = scratch.file("absent.safetensors")
        #expect(throws: CheckpointError.unreadable(path: path, reason: "No such file or directory")) { try Checkpoint.load(from: path) }
    }

    @Test func directoryInsteadOfFile() throws {
        let scratch = try TemporaryFolder()
        #expect(throws: CheckpointError.unreadable(path: scratch.path, reason: "it is a folder, not a regular file")) { try Checkpoint.load(from: scratch.path) }
    }

    @Test func tooShort() throws {
        try expectRefusal([1, 2, 3]) { .tooShort(path: $0, bytes: 3) }
    }

    @Test func headerBeyondFile() throws {
        let bytes = withUnsafeBytes(of: UInt64(1000).littleEndian, Array.init) + [UInt8](repeating: 0x20, count: 10)
        try expectRefusal(bytes) { .headerBeyondFile(path: $0, headerBytes: 1000, fileBytes: 18) }
    }

    @Test func headerNotJSON() throws {
        try expectRefusal(file(header: "{\"0.weight\": ", data: [])) { .malformedHeader(path: $0, problem: "is not JSON") }
        try expectRefusal(file(header: "[1, 2]", data: [])) { .malformedHeader(path: $0, problem: "is not a JSON object") }
    }

    /// Issue 19: JSONSerialization skips a byte-order mark and bridges `0.0` to Int; the format allows neither.
    @Test func headerEncodingsTheFormatForbids() throws {
        let entry = #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#
        try expectRefusal(file(header: "\u{FEFF}" + entry, data: [0, 0, 0, 0])) {
            .malformedHeader(path: $0, problem: "starts with a UTF-8 byte-order mark; the format allows only '{' there")
        }
        try expectRefusal(file(header: " " + entry, data: [0, 0, 0, 0])) { .malformedHeader(path: $0, problem: "does not start with '{'") }
        for offsets in ["[0.0, 4]", "[0, 4.0]", "[0, 4e0]", "[false, 4]"] {
            try expectRefusal(file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": \#(offsets)}}"#, data: [0, 0, 0, 0])) {
                .malformedHeader(path: $0, problem: "has tensor a whose data_offsets are not two integers")
            }
        }
        try expectRefusal(file(header: #"{"a": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])) {
            .malformedHeader(path: $0, problem: "has tensor a whose shape is not a list of non-negative integers")
        }
    }

    @Test func unsupportedDtype() throws {
        try expectRefusal(file(header: #"{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])) {
            .unsupportedDtype(path: $0, tensor: "a", dtype: "F16")
        }
    }

    @Test func malformedTensorEntry() throws {
        try expectRefusal(file(header: #"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}"#, data: [])) {
            .malformedHeader(path: $0, problem: "has tensor a whose shape is not a list of non-negative integers")
        }
        try expectRefusal(file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#, data: [])) {
            .malformedHeader(path: $0, problem: "has tensor a whose data_offsets are not two integers")
        }
    }

    @Test func offsetsOutOfRange() throws {
        try expectRefusal(file(header: #"{"a": {"dtype": "F32", "shape": [100], "data_offsets": [0, 400]}}"#, data: [UInt8](repeating: 0, count: 8))) {
            .badOffsets(path: $0, tensor: "a", problem: "data_offsets [0, 400] lie outside the 8 bytes of data")
        }
    }

    @Test func offsetsNotMatchingShape() throws {
        try expectRefusal(file(header: #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, data: [UInt8](repeating: 0, count: 8))) {
            .badOffsets(path: $0, tensor: "a", problem: "data_offsets [0, 8] span 8 bytes but shape [3] of F32 needs 12")
        }
        let huge = #"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}}"#
        try expectRefusal(file(header: huge, data: [UInt8](repeating: 0, count: 8))) {
            .badOffsets(path: $0, tensor: "a", problem: "data_offsets [0, 8] span 8 bytes but shape [4294967296, 4294967296] "
                        + "of F32 needs more than fit in memory")
        }
    }

    @Test func overlappingTensors() throws {
        let header = #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#
        try expectRefusal(file(header: header, data: [UInt8](repeating: 0, count: 12))) {
            .badOffsets(path: $0, tensor: "b", problem: "its data overlaps another tensor's")
        }
    }

    @Test func holesAndUnclaimedBytes() throws {
        let gap = #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}"#
        try expectRefusal(file(header: gap, data: [UInt8](repeating: 0, count: 20))) {
            .badOffsets(path: $0, tensor: "b", problem: "4 bytes before it belong to no tensor")
        }
        try expectRefusal(file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: [UInt8](repeating: 0, count: 12))) {
            .unclaimedData(path: $0, bytes: 4)
        }
    }

    @Test func notACltrainCheckpoint() throws {
        try expectRefusal(spoiled { _, metadata in metadata = [:] }) { .missingMetadata(path: $0, key: "cltrain.format") }
        try expectRefusal(spoiled { _, metadata in metadata["cltrain.format"] = "3" }) { .unsupportedFormat(path: $0, version: "3") }
    }

    @Test func missingAndUnexpectedTensors() throws {
        try expectRefusal(spoiled { tensors, _ in tensors["4.bias"] = nil }) { .missingTensor(path: $0, tensor: "4.bias") }
        try expectRefusal(spoiled { tensors, _ in tensors["optimizer.exp_avg_sq"] = nil }) {
            .missingTensor(path: $0, tensor: "optimizer.exp_avg_sq")
        }
        try expectRefusal(spoiled { tensors, _ in tensors["6.weight"] = SafeTensors.Tensor(shape: [1], values: [0]) }) {
            .unexpectedTensor(path: $0, tensor: "6.weight")
        }
    }

    @Test func shapesForAnotherModel() throws {
        let other = "linear(100), relu, linear(64), relu, linear(10)"
        try expectRefusal(spoiled { _, metadata in metadata["model"] = other }) {
            .wrongShape(path: $0, tensor: "0.weight", found: [128, 784], expected: [100, 784], model: other)
        }
        let message = CheckpointError.wrongShape(path: "m", tensor: "0.weight", found: [128, 784], expected: [100, 784],
                                                 model: other).description
        #expect(message.contains("for another model"))
    }

    /// Format 1 (before layer lists) described an MNIST MLP by its widths; such files still load, as the same model.
    @Test func formatOneStillLoads() throws {
        let scratch = try TemporaryFolder()
        let current = sampleCheckpoint(mnistMLP([32, 16]), seed: 3)
        try current.save(to: scratch.file("m.safetensors"))
        var (tensors, metadata) = try SafeTensors.decode(FileBytes.contents(of: scratch.file("m.safetensors")), path: "")
        var strings = metadata ?? [:]
        (strings["model"], strings["input_shape"], strings["cltrain.format"]) = (nil, nil, "1")
        (strings["inputs"], strings["hidden"], strings["classes"]) = ("784", "32,16", "10")
        tensors = tensors.filter { _ in true }
        try Data(SafeTensors.encode(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: strings))
            .write(to: URL(fileURLWithPath: scratch.file("old.safetensors")))
        #expect(try Checkpoint.load(from: scratch.file("old.safetensors")) == current)
    }

    @Test func missingOrGarbledMetadata() throws {
        try expectRefusal(spoiled { _, metadata in metadata["lr"] = nil }) { .missingMetadata(path: $0, key: "lr") }
        try expectRefusal(spoiled { _, metadata in metadata["lr"] = "fast" }) {
            .badMetadata(path: $0, key: "lr", value: "fast", expected: "a number")
        }
        try expectRefusal(spoiled { _, metadata in metadata["model"] = "linear(128), relu, linear(10" }) {
            .badMetadata(path: $0, key: "model", value: "linear(128), relu, linear(10",
                         expected: "a model for 1×28×28 inputs: expected ')' at the end of 'linear(10'")
        }
        try expectRefusal(spoiled { _, metadata in metadata["model"] = "linear(4294967296)" }) {
            .badMetadata(path: $0, key: "model", value: "linear(4294967296)",
                         expected: "a model for 1×28×28 inputs: linear: out_features must be a width from 1 to 1048576, got '4294967296'")
        }
        try expectRefusal(spoiled { _, metadata in metadata["input_shape"] = "1,0,28" }) {
            .badMetadata(path: $0, key: "input_shape", value: "1,0,28", expected: "one to three sizes from 1 to 65536, e.g. 1,28,28")
        }
        try expectRefusal(spoiled { _, metadata in metadata["input_shape"] = "1,28,x" }) {
            .badMetadata(path: $0, key: "input_shape", value: "1,28,x", expected: "comma-separated integers")
        }
        try expectRefusal(spoiled { _, metadata in metadata["optimizer"] = "rmsprop" }) {
            .badMetadata(path: $0, key: "optimizer", value: "rmsprop", expected: OptimizerRegistry.names)
        }
        try expectRefusal(spoiled { _, metadata in metadata["betas"] = "0.9" }) {
            .badMetadata(path: $0, key: "betas", value: "0.9", expected: "two numbers")
        }
        try expectRefusal(spoiled { _, metadata in metadata["seed"] = "-1" }) {
            .badMetadata(path: $0, key: "seed", value: "-1", expected: "an integer")
        }
        try expectRefusal(spoiled { _, metadata in metadata["epoch"] = "-3" }) {
            .badMetadata(path: $0, key: "epoch", value: "-3", expected: "a count of epochs from 0 to 1000000")
        }
        try expectRefusal(spoiled { _, metadata in metadata["step"] = "-1" }) {
            .badMetadata(path: $0, key: "step", value: "-1", expected: "a count of steps from 0 to 9007199254740992")
        }
    }
}
