import Testing
@testable import CLTrain

/// Layer lists as users paste them (issue 23): PyTorch's spellings, near misses, layers that make no sense at the end,
/// and the summary table.
@Suite struct ModelSpecTests {
    static let mnist = Shape.image(channels: 1, height: 28, width: 28)
    static let lenetHead = "conv2d(6, 5, padding=2), relu, maxpool2d(2), flatten, linear(10)"

    func error(_ spec: String) -> String {
        do { _ = try Model(spec, input: Self.mnist, classes: 10) } catch { return "\(error)" }
        return "accepted"
    }

    @Test func pytorchSpellingsBuildTheSameModel() throws {
        let pasted = """
            nn.Sequential(
                nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(in_features=1176, out_features=10),
            )
            """
        for spec in [pasted, "nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1176, 10)",
                     "Conv2d(6, 5, padding=2), ReLU(), MaxPool2d(2), Flatten(), Linear(10)"] {
            #expect(try Model(spec, input: Self.mnist, classes: 10).spec == Self.lenetHead, "\(spec)")
        }
    }

    @Test func statedInputSizesAreCheckedAgainstTheInferredOnes() {
        #expect(error("nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1000, 10)")
                .hasPrefix("nn.Linear(1000, 10) (layer 4): in_features is 1000, but its input has 1176;"))
        #expect(error("nn.Conv2d(3, 6, 5), nn.Flatten(), nn.Linear(3456, 10)")
                .hasPrefix("nn.Conv2d(3, 6, 5) (layer 0): in_channels is 3, but its input has 1 (1×28×28);"))
        #expect(error("nn.Flatten(), nn.Linear(10)") == "linear needs out_features (a width from 1 to 1048576) "
                + "(nn.Linear states in_features first, as PyTorch does; without `nn.` it is inferred: Linear(...))")
        #expect(error("nn.Flatten(), nn.Linear()").hasPrefix("nn.Linear needs in_features first"))
        #expect(error("Flatten(), Linear(784, 10)") == "linear takes 1 argument, got '10' too "
                + "(Linear(...) is the lazy form, without in_features; PyTorch's full spelling is nn.Linear(784, 10))")
        #expect(error("nn.Flatten(), nn.Linear(x, 10)") == "nn.Linear: in_features must be a positive size, got 'x'")
    }

    @Test func nearMissesSuggestTheName() {
        for (spec, suggestion) in [("lenet", "lenet5"), ("flatten, linear(10), reluu", "relu"), ("Conv1d(6, 5)", "conv2d"),
                                   ("maxpool(2)", "maxpool2d"), ("conv(6, 5)", "conv2d")] {
            #expect(error(spec).contains("(did you mean '\(suggestion)'?)"), "\(spec): \(error(spec))")
        }
        #expect(!error("sigmoid").contains("did you mean"))
        // A preset is what a single word may mean, not one item of a list.
        #expect(!error("flatten, lenet, linear(10)").contains("did you mean"))
        #expect(ModelSpec.editDistance("kitten", "sitting") == 3 && ModelSpec.editDistance("", "relu") == 4)
    }

    /// The issue-18 `residual(...)` will take a layer list as its argument: commas and `=` inside parentheses stay put.
    @Test func nestedParenthesesSurviveSplitting() throws {
        #expect(try ModelSpec.topLevel("residual(conv2d(3, 3, padding=1), relu), flatten", separator: ",")
                == ["residual(conv2d(3, 3, padding=1), relu)", " flatten"])
        #expect(try ModelSpec.topLevel("inner=conv2d(3, stride=2)", separator: "=", maxSplits: 1) == ["inner", "conv2d(3, stride=2)"])
        #expect(error("flatten, linear(f(1, 2))") == "linear: out_features must be a width from 1 to 1048576, got 'f(1, 2)'")
    }

    @Test func layersAfterTheLastLayerWithParametersAreCautioned() throws {
        let cautions = try Model("flatten, linear(10), relu, dropout(0.2)", input: Self.mnist, classes: 10).cautions
        #expect(cautions.count == 2 && cautions[0].hasPrefix("relu (layer 2) comes after the last layer with parameters, linear(10) (layer 1)"))
        #expect(try Model("lenet5", input: Self.mnist, classes: 10).cautions.isEmpty)
        #expect(try Model("linear(10), flatten", input: Self.mnist, classes: 10).cautions.isEmpty)
    }

    @Test func summaryListsEveryLayerWithItsShapeAndParameters() throws {
        let lines = ModelSummary.lines(try Model("lenet5", input: Self.mnist, classes: 10))
        #expect(lines.count == 1 + 12 + 1)
        #expect(lines[1].split(separator: " ").map(String.init) == ["0", "conv2d(6,", "5,", "padding=2)", "6×28×28", "156"])
        // The absorbed ReLU is listed with its input's shape.
        #expect(lines[2].split(separator: " ").map(String.init) == ["1", "relu", "6×28×28", "0"])
        #expect(lines.last!.hasSuffix(" 61706") && lines.last!.contains("10 classes"))
    }
}
