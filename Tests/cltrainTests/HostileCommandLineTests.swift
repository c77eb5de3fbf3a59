import CLTrain
import Foundation
import Testing

/// The command-line side of issue 11: outputs that would destroy a file, negative numbers, the environment, signals.
@Suite struct HostileCommandLineTests {
    @Test(arguments: [
        (["train", "--epochs", "-1"], "--epochs must be between"),
        (["train", "--lr", "-1"], "--lr must be a positive number, got -1.0"),
        (["train", "--momentum", "-0.5"], "--momentum must be a number in [0, 1)"),
        (["predict", "--model", "m", "--index", "-3"], "--index must be zero or positive"),
        (["train", "--save", ""], "--save: the path is empty"),
        (["train", "--plot", "curves.png"], "--plot curves.png: the file must end in .svg"),
        (["train", "--save", "same", "--metrics", "./same"], "--save same: is also --metrics ./same"),
        (["train", "--save", "/dev/null"], "it is a character device"),
        (["predict", "--model", "m.svg", "--image", "d.pgm", "--svg", "m.svg"], "--svg m.svg: is also --model m.svg"),
        (["train", "--devices", "0,1", "--cpu"], "--devices names every device to train on; leave out --cpu"),
        (["train", "--devices", "0,,1"], "--devices: "),
        (["bench", "--devices", "all", "--compare"], "--devices times data-parallel epochs; leave out --compare"),
    ])
    func refusedBeforeAnyWork(_ arguments: [String], _ message: String) throws {
        let run = try Run(arguments)
        #expect(run.status != 0)
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }

    @Test func outputOverADataFileIsRefusedAndTheFileKept() throws {
        let data = try SmallData()
        let labels = data.file("t10k-labels-idx1-ubyte")
        let before = try Data(contentsOf: URL(fileURLWithPath: labels))
        let run = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--metrics", labels])
        #expect(run.status != 0 && run.error.contains("is also the data file"), "\(run.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: labels)) == before)
    }

    @Test func invalidDeviceVariableDoesNotStopHostRunsAndIsNamed() throws {
        let data = try SmallData()
        let cpu = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1"], environment: ["CLTRAIN_DEVICE": "1:"])
        #expect(cpu.status == 0, "\(cpu.stderr)")
        let missing = try Run(["eval", "--model", "x", "--data", data.path], environment: ["CLTRAIN_DEVICE": "no such device"])
        #expect(missing.status != 0)
        let run = try Run(["selftest"], environment: ["CLTRAIN_DEVICE": "no such device"])
        #expect(run.status != 0 && run.stderr.contains("CLTRAIN_DEVICE=no such device: no device matches"), "\(run.stderr)")
    }

    /// A bad `CLTRAIN_DEVICE_MEMORY_LIMIT` stops an OpenCL run in one line naming it, before the run says anything.
    @Test func invalidMemoryLimitVariableIsNamed() throws {
        let data = try SmallData()
        let run = try Run(["train", "--data", data.path, "--epochs", "1"], environment: ["CLTRAIN_DEVICE_MEMORY_LIMIT": "12 apples"])
        #expect(run.status != 0 && run.stdout.isEmpty && !run.error.contains("\n")
                && run.error.contains("CLTRAIN_DEVICE_MEMORY_LIMIT=12 apples: expected a number of bytes"), "\(run.stderr)")
    }

    @Test func deviceNamedTwiceInDevicesIsRefused() throws {
        let data = try SmallData()
        let run = try Run(["train", "--data", data.path, "--epochs", "1", "--devices", "0,0"])
        #expect(run.status != 0 && run.error.contains("twice; name each device once"), "\(run.stderr)")
    }

    @Test func interruptedSaveLeavesNoTemporaryFile() throws {
        let data = try SmallData()
        let model = data.file("model.safetensors")
        // Saves every epoch, each of 6 MB flushed to disk: the polling soon catches one with its temporary file.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cltrain")
        process.arguments = ["train", "--cpu", "--data", data.path, "--epochs", "1000", "--batch-size", "200",
                             "--hidden", "2000", "--save", model]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var sawTemporary = false
        while Date() < deadline && !sawTemporary {
            sawTemporary = (try FileManager.default.contentsOfDirectory(atPath: data.path)).contains { $0.hasSuffix(".tmp") }
            if !sawTemporary { usleep(2_000) }
        }
        // Two Ctrl-Cs during a save: the first asks training to stop, the second exits at once; neither may leave the
        // temporary file or a damaged checkpoint.
        process.interrupt()
        process.interrupt()
        process.waitUntilExit()
        #expect(sawTemporary, "no save was caught in progress")
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + SIGINT)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: data.path)).contains { $0.hasSuffix(".tmp") })
        // The first save may be the one cut short, and then there is no checkpoint; one that exists loads.
        if FileManager.default.fileExists(atPath: model) { #expect(throws: Never.self) { try Checkpoint.load(from: model) } }
    }
}
