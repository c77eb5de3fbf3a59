import Foundation
import Testing
@testable import CLTrain

/// `train --init`: a PyTorch state dict saved with safetensors (no metadata), a cltrain checkpoint of other data, and
/// the `torch.save` files that cltrain refuses with the line that says how to save safetensors instead.
@Suite struct InitialWeightsTests {
    static let model = try! Model("flatten, linear(4), relu, linear(10)", input: .image(channels: 1, height: 28, width: 28))

    func fresh(_ seed: UInt64 = 1) -> Parameters {
        var generator = SeededGenerator(seed: seed)
        return Parameters(initializing: Self.model, using: &generator)
    }

    /// A state dict as `save_file(model.state_dict(), path)` writes it: tensors by name, no cltrain metadata.
    func stateDict(_ tensors: [(String, SafeTensors.Tensor)], in folder: TemporaryFolder) throws -> String {
        try folder.write("state_dict.safetensors", SafeTensors.encode(tensors, metadata: [:]))
    }

    func tensors(of parameters: Parameters) -> [(String, SafeTensors.Tensor)] {
        parameters.model.tensors.map { ($0.name, SafeTensors.Tensor(shape: $0.shape, values: Array(parameters.values[$0.range]))) }
    }

    @Test func stateDictReplacesEveryTensorByName() throws {
        let folder = try TemporaryFolder(), source = fresh(7)
        let weights = try InitialWeights(path: try stateDict(tensors(of: source), in: folder))
        #expect(weights.spec == nil)
        #expect(try weights.parameters(replacing: fresh()).values == source.values)
    }

    @Test func everyMismatchIsListedInOneLine() throws {
        let folder = try TemporaryFolder()
        var listed = tensors(of: fresh(7)).filter { $0.0 != "3.bias" }
        listed[0].1 = SafeTensors.Tensor(shape: [4, 700], values: [Float](repeating: 0, count: 2800))
        listed.append(("fc.weight", SafeTensors.Tensor(shape: [1], values: [0])))
        listed.append(("num_batches_tracked", SafeTensors.Tensor(shape: [], values: [3], type: .i64)))
        let path = try stateDict(listed, in: folder)
        #expect(throws: CheckpointError.mismatchedTensors(path: path, model: Self.model.spec, problems: [
            "1.weight is F32 [4, 700], the model's is F32 [4, 784]", "3.bias [10] is missing", "fc.weight is not in the model",
            "num_batches_tracked is not in the model",
        ])) { try InitialWeights(path: path).parameters(replacing: fresh()) }
        // A module with named attributes shares no name with nn.Sequential's: the message says how they are named.
        let named = try stateDict([("conv1.weight", SafeTensors.Tensor(shape: [1], values: [0]))], in: folder)
        do {
            _ = try InitialWeights(path: named).parameters(replacing: fresh())
            Issue.record("conv1.weight was accepted")
        } catch {
            #expect("\(error)".hasSuffix("the model's tensors are named as nn.Sequential names them (1.weight, 1.bias, …)") && !"\(error)".contains("\n"))
        }
    }

    /// Transfer learning: a checkpoint of data with 3 classes starts a 10-class model with its last layer drawn afresh;
    /// its optimizer state is left behind.
    @Test func checkpointOfOtherDataWithTheLastLayerDrawnAfresh() throws {
        let folder = try TemporaryFolder(), path = folder.file("three.safetensors")
        let three = try Model("flatten, linear(4), relu, linear(3)", input: .image(channels: 1, height: 28, width: 28))
        let checkpoint = sampleCheckpoint(three, kind: Adam.name, seed: 9)
        try checkpoint.save(to: path)
        let weights = try InitialWeights(path: path)
        #expect(weights.spec == three.spec)
        #expect(throws: CheckpointError.self) { try weights.parameters(replacing: fresh()) }
        let start = fresh(), transferred = try weights.parameters(replacing: start, reinitializeLast: true)
        let first = Self.model.stages.first { !$0.tensors.isEmpty }!, last = Self.model.stages.last!
        #expect(Array(transferred.of(first)) == Array(checkpoint.parameters.of(checkpoint.model.stages.first { !$0.tensors.isEmpty }!)))
        #expect(transferred.of(last) == start.of(last))
    }

    @Test func elementTypesRoundTripAndI64CountersRead() throws {
        let tensors: [(String, SafeTensors.Tensor)] = [("w", .init(shape: [2], values: [1.5, -2])), ("n", .init(shape: [], values: [600], type: .i64))]
        let decoded = try SafeTensors.decode(SafeTensors.encode(tensors, metadata: [:]), path: "x").tensors
        #expect(decoded["w"] == tensors[0].1 && decoded["n"] == tensors[1].1)
    }

    /// A safetensors header of 640 bytes has a length that starts 0x80 0x02, as a pickle does: its JSON tells them apart.
    @Test func aHeaderLengthThatLooksLikeAPickleIsStillSafetensors() throws {
        let tensors: [(String, SafeTensors.Tensor)] = [("w", .init(shape: [1], values: [1]))]
        var metadata = ["pad": ""]
        var bytes = SafeTensors.encode(tensors, metadata: metadata)
        metadata["pad"] = String(repeating: "x", count: 640 - (bytes.count - 12))
        bytes = SafeTensors.encode(tensors, metadata: metadata)
        #expect(Array(bytes.prefix(2)) == [0x80, 0x02])
        #expect(try SafeTensors.decode(bytes, path: "x").tensors["w"] == tensors[0].1)
    }

    /// `torch.save` writes a zip (PyTorch 1.6 on) or a bare pickle: one line that says how to save safetensors.
    @Test(arguments: [Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 0, count: 60), [0x80, 0x02, 0x8a, 0x0a] + [UInt8](repeating: 0, count: 60)])
    func torchSaveFilesAreRefusedWithTheWayToSafetensors(_ bytes: [UInt8]) throws {
        let folder = try TemporaryFolder(), path = try folder.write("model.pt", bytes)
        #expect(throws: CheckpointError.pytorchPickle(path: path)) { try InitialWeights(path: path) }
        #expect(throws: CheckpointError.pytorchPickle(path: path)) { try Checkpoint.load(from: path) }
        let message = CheckpointError.pytorchPickle(path: path).description
        #expect(message.contains("save_file(model.state_dict(), \"model.safetensors\")") && !message.contains("\n"))
    }
}
