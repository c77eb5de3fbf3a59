import Foundation
import CLTrain
import Testing

/// The command-line habits users bring from other tools: --version, a positional checkpoint, help that offers
/// only what works.
@Suite struct ConventionsTests {
    @Test func versionPrintsOneLine() throws {
        let run = try Run(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("cltrain ") && run.stdout.split(separator: "\n").count == 1, "\(run.stdout)")
    }

    @Test func selftestHelpDoesNotOfferCPU() throws {
        let help = try Run(["selftest", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--device") && !help.stdout.contains("--cpu"))
        #expect(try Run(["train", "--help"]).stdout.contains("--cpu"))
    }

    @Test func evalTakesTheCheckpointAsAnArgumentOrAnOption() throws {
        let data = try SmallData()
        let model = data.file("m.safetensors")
        let train = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--hidden", "5", "--save", model])
        #expect(train.status == 0, "\(train.stderr)")
        let positional = try Run(["eval", model, "--cpu", "--data", data.path])
        let option = try Run(["eval", "--model", model, "--cpu", "--data", data.path])
        #expect(positional.status == 0 && option.status == 0, "\(positional.stderr)\(option.stderr)")
        #expect(positional.stdout.contains("Accuracy:") && positional.stdout == option.stdout)
        let none = try Run(["eval", "--cpu", "--data", data.path])
        #expect(none.status != 0 && none.stderr.contains("checkpoint"))
    }
}

@Suite struct TrainOutputTests {
    @Test func threadsSetsOpenBLASAndIsValidated() throws {
        let data = try SmallData()
        let run = try Run(["train", "--cpu", "--threads", "1", "--data", data.path, "--epochs", "1", "--hidden", "5", "--no-preview"])
        #expect(run.status == 0 && run.stdout.contains("1 thread)"), "\(run.stdout)\(run.stderr)")
        let bad = try Run(["train", "--cpu", "--threads", "0"])
        #expect(bad.status != 0 && bad.stderr.contains("--threads"))
    }


    @Test func quietPrintsOnlyTheEpochLinesAndNoPreviewDropsThePicture() throws {
        let data = try SmallData()
        let common = ["train", "--cpu", "--data", data.path, "--epochs", "2", "--hidden", "5"]
        let quiet = try Run(common + ["--quiet"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        let lines = quiet.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("epoch 1/2  train loss") && lines[1].hasPrefix("epoch 2/2  train loss"),
                "\(quiet.stdout)")
        let full = try Run(common)
        #expect(full.stdout.contains("Device:") && full.stdout.contains("Test image 0"))
        let noPreview = try Run(common + ["--no-preview"])
        #expect(noPreview.status == 0 && noPreview.stdout.contains("Device:") && !noPreview.stdout.contains("Test image 0"))
    }
}

@Suite struct JSONOutputTests {
    func object(_ run: Run) throws -> [String: Any] {
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
    }

    /// Every report: snake_case keys at every depth and a schema version.
    func expectConventions(_ json: [String: Any], _ command: String) {
        #expect(json["schema_version"] as? Int == 1, "\(command)")
        let keys = jsonKeys(json)
        #expect(keys.allSatisfy { $0 == $0.lowercased() && !$0.contains("-") && !$0.contains(" ") }, "\(command): \(keys)")
    }

    @Test func evalPredictDataAndDevicesPrintVersionedSnakeCaseJSON() throws {
        let data = try SmallData()
        let model = data.file("m.safetensors")
        #expect(try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--hidden", "5", "--save", model]).status == 0)

        let eval = try object(try Run(["eval", model, "--cpu", "--data", data.path, "--json"]))
        expectConventions(eval, "eval")
        let confusion = try #require(eval["confusion"] as? [[Int]])
        #expect(confusion.count == 10 && confusion.joined().reduce(0, +) == 50 && eval["test_samples"] as? Int == 50)
        #expect(eval["correct"] as? Int == (0..<10).map { confusion[$0][$0] }.reduce(0, +))

        let predict = try object(try Run(["predict", model, "--data", data.path, "--index", "3", "--json"]))
        expectConventions(predict, "predict")
        let probabilities = try #require(predict["probabilities"] as? [Double])
        #expect(probabilities.count == 10 && abs(probabilities.reduce(0, +) - 1) < 1e-4)
        #expect(predict["label"] as? Int != nil && predict["correct"] as? Bool != nil)

        let dataReport = try object(try Run(["data", "--data", data.path, "--json"]))
        expectConventions(dataReport, "data")
        let splits = try #require(dataReport["splits"] as? [[String: Any]])
        #expect(splits.map { $0["samples"] as? Int } == [200, 50] && dataReport["checksums_match"] as? Bool == false)

        expectConventions(try object(try Run(["devices", "--json"])), "devices")
    }
}

/// Every key in a JSON value, at any depth.
func jsonKeys(_ value: Any) -> [String] {
    if let object = value as? [String: Any] { return object.keys + object.values.flatMap(jsonKeys) }
    if let array = value as? [Any] { return array.flatMap(jsonKeys) }
    return []
}

/// A loss that explodes without ever becoming NaN (the lesson at --lr 1000 reaches 2e7 by its second batch) stops
/// the run: exit 1 and one line naming the batch, the loss, the first batch's and the learning rate.
@Test(.enabled(if: IDXFile.allCases.allSatisfy { $0.locate(in: DatasetKind.mnist.cacheDirectory()) != nil },
               "MNIST is not in the user cache; run `cltrain fetch`"))
func explodingLossStopsTheRun() throws {
    let run = try Run(["train", "--cpu", "--lr", "1000", "--epochs", "1", "--no-preview", "-q"])
    #expect(run.status == 1, "\(run.stdout)")
    #expect(run.error.contains("training diverged: the loss of epoch 1, batch ") && run.error.contains("× the first batch's")
            && run.error.contains("--lr is 1000.0") && !run.error.contains("\n"), "\(run.stderr)")
}
