import Foundation
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
