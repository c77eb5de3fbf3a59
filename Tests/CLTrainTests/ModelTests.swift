import Foundation
import Testing
@testable import CLTrain

/// What `Model` derives from a layer list: names, shapes, stages and where ReLU masks are applied.
@Suite struct ModelTests {
    let image = Shape.image(channels: 1, height: 28, width: 28)

    @Test func lessonKeepsItsNamesAndFusesItsReLUs() throws {
        let model = try Model("lesson", input: image, classes: 10)
        #expect(model.tensors.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        #expect(model.tensors.map(\.shape) == [[128, 784], [128], [64, 128], [64], [10, 64], [10]])
        #expect(model.parameterCount == 109_386 && model.stages.count == 3)
        #expect(model.stages.map(\.relu) == [true, true, false])
        #expect(model.stages.map(\.maskInputGradient) == [false, true, true])
        #expect(model.stages.map(\.needsInputGradient) == [false, true, true])
    }

    @Test func lenetShapesAndMasksPassThroughPooling() throws {
        let model = try Model("lenet5", input: image, classes: 10)
        #expect(model.stages.map { "\($0.output)" } == ["6×28×28", "6×14×14", "16×10×10", "16×5×5", "400", "120", "84", "10"])
        #expect(model.tensors.map(\.name).first == "0.weight" && model.tensors[0].shape == [6, 1, 5, 5])
        // conv's ReLU is masked after each pool, by the stage that reads the pool's output.
        #expect(model.stages.map(\.maskInputGradient) == [false, false, true, false, true, true, true, true])
    }

    /// A ReLU whose mask no later stage could apply (the model ends in views or pools after it) is a stage of its
    /// own: absorbed, its mask would never reach the gradient.
    @Test(arguments: ["linear(10), relu", "linear(10), relu, flatten", "conv2d(10, 28), relu, maxpool2d(1), flatten"])
    func reluThatEndsTheModelIsNotAbsorbed(_ spec: String) throws {
        let model = try Model(spec, input: image, classes: 10)
        #expect(model.stages.contains { $0.layer is ReLU } && !model.stages.contains(where: \.relu))
    }

    /// Issue 19: each ReLU searched the rest of the list, so 40,000 layers took 72 s before anything was said.
    @Test func buildingIsLinearInTheLayerCount() throws {
        let spec = "flatten, " + String(repeating: "relu, ", count: 40_000) + "linear(10)"
        let started = Date()
        let model = try Model(spec, input: image, classes: 10)
        #expect(model.stages.count == 40_002)
        // Linear work takes well under a second even in a debug build on a loaded machine; quadratic took 72 s.
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func specRoundTripsThroughItsCanonicalForm() throws {
        let model = try Model(" conv2d( 6, 5, padding = 2 ),relu, maxpool2d(2, stride=2), flatten, dropout, linear(out_features=10)",
                              input: image, classes: 10)
        #expect(model.spec == "conv2d(6, 5, padding=2), relu, maxpool2d(2), flatten, dropout(0.5), linear(10)")
        #expect(try Model(model.spec, input: image, classes: 10) == model)
    }
}
