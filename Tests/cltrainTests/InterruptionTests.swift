import CLTrain
import Foundation
import Testing

/// Ctrl-C and SIGTERM in the middle of training: one line saying what the checkpoint holds and how to continue,
/// exit 128 + the signal, and files left whole.
@Suite struct InterruptionTests {
    /// Starts `train` with `arguments`, waits until its output shows `marker` (so the signal lands in training,
    /// not in start-up: no timing assumed), sends `signal`, and returns the exit status and standard error.
    func interrupted(_ arguments: [String], after marker: String, with signal: Int32) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = Run.binary
        process.arguments = ["train"] + arguments
        process.environment = Run.environment([:])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        var seen = ""
        while !seen.contains(marker) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }  // ended before the marker: the expectations below say so
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, signal)
        _ = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "train died of signal \(process.terminationStatus) instead of stopping")
        return (process.terminationStatus, stderr)
    }

    @Test func ctrlCSaysWhereTheRunIsAndTheCommandContinuesIt() throws {
        let data = try SmallData()
        let model = data.file("m.safetensors")
        let (status, stderr) = try interrupted(["--cpu", "--data", data.path, "--epochs", "100000", "--save", model,
                                                "--model", "flatten, linear(10)", "-q"], after: "epoch 2/", with: SIGINT)
        #expect(status == 130)
        let line = try #require(stderr.split(separator: "\n").last.map(String.init))
        let saved = try Checkpoint.load(from: model).epoch
        #expect(saved >= 2 && line.contains("interrupted (Ctrl-C) in epoch ") && line.contains("\(model) holds epoch \(saved)"), "\(stderr)")
        // The command it gives continues the run: the same options, the model from the checkpoint.
        let command = try #require(line.components(separatedBy: "continue with: ").last).split(separator: " ").map(String.init)
        #expect(command.first == Run.binary.path && !command.contains("--model") && command.suffix(2) == ["--resume", model])
        let resumed = try Run(Array(command.dropFirst()) + ["--stop-after", "\(saved + 1)"])
        #expect(resumed.status == 0 && resumed.stdout.contains("epoch \(saved + 1)/100000"), "\(command) \(resumed.stderr)")
        #expect(try Checkpoint.load(from: model).epoch == saved + 1)
    }

    @Test func sigtermWithoutACheckpointSaysNothingWasSaved() throws {
        let data = try SmallData()
        let (status, stderr) = try interrupted(["--cpu", "--data", data.path, "--epochs", "100000", "--model", "flatten, linear(10)",
                                                "-q"], after: "epoch 1/", with: SIGTERM)
        #expect(status == 143)
        #expect(stderr.contains("interrupted (SIGTERM) in epoch ") && stderr.contains("nothing was saved; pass --save FILE"), "\(stderr)")
    }
}
