import Foundation
import Testing
@testable import CLTrain

/// ResNet-8 as the anchor's PyTorch module holds it, batch norm's buffers in checkpoints, and the blocks' parsing.
@Suite struct ResNetTests {
    static let fashion = Shape.image(channels: 1, height: 28, width: 28)

    /// Every name of the anchor's `resnet8().state_dict()`: the `nn.Sequential` indices, `body`/`shortcut` inside the
    /// blocks, batch norm's five tensors each.
    static let pytorchNames: Set<String> = {
        func norm(_ prefix: String) -> [String] {
            ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map { "\(prefix).\($0)" }
        }
        func block(_ index: Int, projection: Bool) -> [String] {
            ["\(index).body.0.weight"] + norm("\(index).body.1") + ["\(index).body.3.weight"] + norm("\(index).body.4")
                + (projection ? ["\(index).shortcut.0.weight"] + norm("\(index).shortcut.1") : [])
        }
        return Set(["0.weight"] + norm("1") + block(3, projection: false) + block(5, projection: true) + block(7, projection: true)
                   + ["11.weight", "11.bias"])
    }()

    @Test func resnet8HasTheAnchorsTensors() throws {
        let model = try Model("resnet8", input: Self.fashion, classes: 10)
        #expect(Set(model.tensors.map(\.name) + model.buffers.map(\.name) + model.stepCounters) == Self.pytorchNames)
        #expect(model.parameterCount == 77_754)  // sum(p.numel() for p in resnet8.parameters())
        #expect(model.tensors.first { $0.name == "5.shortcut.0.weight" }?.shape == [32, 16, 1, 1])
        #expect(model.buffers.first { $0.name == "7.body.4.running_var" }?.shape == [64])
        #expect(model.stages.map(\.output.dimensions).last == [10])
        // The stem's and each block's ReLU run inside the layer before them.
        #expect(model.stages.filter(\.relu).map(\.index) == [1, 3, 5, 7])
        #expect(ModelSpec.recipe("resnet8")?.description
                == "sgd lr 0.05 momentum 0.9 nesterov weight decay 0.0005, cosine schedule, batch 128")
    }

    @Test func blocksParseAndPrintCanonically() throws {
        let spec = ModelSpec.presets.first { $0.name == "resnet8" }!.spec
        #expect(try ModelSpec.layers(spec).map(\.description).joined(separator: ", ") == spec)
        let layers = try ModelSpec.layers("residual(conv2d(8, 3, stride=2, padding=1), batchnorm2d(momentum=0.2), relu)")
        let block = try #require(layers.first as? Residual)
        #expect(block.body.map(\.description) == ["conv2d(8, 3, stride=2, padding=1)", "batchnorm2d(momentum=0.2)", "relu"])
        #expect(throws: ModelSpecError.self) { try ModelSpec.layers("residual()") }
        #expect(throws: ModelSpecError.self) { try ModelSpec.layers(String(repeating: "residual(", count: 20) + "relu" + String(repeating: ")", count: 20)) }
        // A body whose shape no 1×1 projection reaches, and a flat one that changes its width, are refused with the reason.
        for bad in ["residual(conv2d(4, 3))", "flatten, residual(linear(5))"] {
            #expect(throws: ModelSpecError.self, "\(bad)") { try Model(bad + ", flatten, linear(10)", input: .image(channels: 1, height: 9, width: 9)) }
        }
    }

    /// PyTorch's own words, for a batch size of 1 and for a last batch of one sample, where a batch norm sees one
    /// value per channel (a batchnorm2d over 28×28 images sees 784 values per channel in a batch of one, which trains).
    @Test func oneValuePerChannelIsRefused() throws {
        var plan = TrainingPlan()
        plan.model = try Model("resnet8", input: Self.fashion, classes: 10)
        plan.batchSize = 1
        #expect(plan.batchProblem(count: 60_000) == nil)
        plan.model = try Model("flatten, linear(4), batchnorm1d, linear(10)", input: Self.fashion, classes: 10)
        #expect(plan.batchProblem(count: 60_000)
                == "--batch-size 1: batchnorm1d (layer 2): expected more than 1 value per channel when training, got input size [1, 4]")
        plan.batchSize = 2
        #expect(plan.batchProblem(count: 60_000) == nil)
        #expect(plan.batchProblem(count: 60_001) == "the last batch of an epoch holds 1 of the 60001 training samples with --batch-size 2: "
                + "batchnorm1d (layer 2): expected more than 1 value per channel when training, got input size [1, 4]; choose another batch size")
    }

    /// The running statistics travel as F32 with PyTorch's names, the step counter as an I64 scalar holding the step.
    @Test func checkpointsKeepTheBuffers() throws {
        let model = try Model("conv2d(3, 3, bias=false), batchnorm2d, relu, residual(conv2d(4, 3, stride=2, padding=1), batchnorm2d), "
                              + "flatten, batchnorm1d, linear(10)", input: .image(channels: 1, height: 9, width: 9), classes: 10)
        var checkpoint = sampleCheckpoint(model, kind: SGD.name, seed: freshSeed("buffers"))
        var generator = seededGenerator("buffers")
        checkpoint.parameters.buffers = (0..<model.bufferCount).map { _ in Float.random(in: 0.5...2, using: &generator) }
        let scratch = try TemporaryFolder()
        try checkpoint.save(to: scratch.file("m.safetensors"))
        #expect(try Checkpoint.load(from: scratch.file("m.safetensors")) == checkpoint)
        let (tensors, _) = try SafeTensors.decode(try FileBytes.contents(of: scratch.file("m.safetensors")), path: "m")
        #expect(model.stepCounters == ["1.num_batches_tracked", "3.body.1.num_batches_tracked", "3.shortcut.1.num_batches_tracked",
                                       "5.num_batches_tracked"])
        for name in model.stepCounters {
            #expect(tensors[name] == SafeTensors.Tensor(shape: [], values: [Float(checkpoint.optimizerState.step)], type: .i64))
        }
        #expect(tensors["3.shortcut.1.running_var"]?.values == Array(checkpoint.parameters.buffers[model.buffers.first { $0.name == "3.shortcut.1.running_var" }!.range]))
    }
}
