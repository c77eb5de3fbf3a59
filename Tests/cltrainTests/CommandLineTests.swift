import CLTrain
import Foundation
import Testing

/// Runs the built `cltrain` as a user would, without a terminal, and returns its exit status and output.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String

    /// - Parameter limits: `ulimit` options and values in KiB (`["-v": 1 << 20]`) the run gets, set by the shell
    ///   that starts it, so the memory a test needs never depends on the machine's.
    init(_ arguments: [String], environment extra: [String: String] = [:], limits: [String: Int] = [:]) throws {
        let process = Process()
        if limits.isEmpty {
            process.executableURL = Run.binary
            process.arguments = arguments
        } else {
            let ulimits = limits.sorted { $0.key < $1.key }.map { "ulimit \($0.key) \($0.value)" }.joined(separator: " && ")
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", ulimits + " && exec \"$0\" \"$@\"", Run.binary.path] + arguments
        }
        process.environment = Run.environment(extra)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting, so a chatty child never blocks on a full pipe.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
        #expect(process.terminationReason == .exit, "cltrain \(arguments) was killed by signal \(status)")
    }

    /// swift test puts the test bundle beside the products it built, cltrain among them.
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cltrain")

    /// The test process's environment without the variables that would make a run differ by user, plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["CLTRAIN_DEVICE"] = nil
        environment["CLTRAIN_DATA"] = nil
        environment["CLTRAIN_DEVICE_MEMORY_LIMIT"] = nil
        environment["CLTRAIN_PROGRAM_CACHE"] = "off"  // tests never write the user's cache
        environment["CLTRAIN_TUNING_CACHE"] = "off"   // nor read its tuning, which would make runs differ by machine
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// The one line a failure prints, without the "Error: " prefix.
    var error: String { stderr.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// A folder with a small generated dataset in IDX form (200 training, 50 test images), removed afterwards.
final class SmallData {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cltrain-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var generator = SeededGenerator(seed: 5)
        func dataset(_ count: Int) -> Dataset {
            Dataset(name: "small", images: (0..<(count * 784)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                    labels: (0..<count).map { _ in UInt8.random(in: 0...9, using: &generator) })
        }
        let train = dataset(200), test = dataset(50)
        try write("train-images-idx3-ubyte", IDX.encodeImages(train))
        try write("train-labels-idx1-ubyte", IDX.encodeLabels(train))
        try write("t10k-images-idx3-ubyte", IDX.encodeImages(test))
        try write("t10k-labels-idx1-ubyte", IDX.encodeLabels(test))
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct CommandLineTests {
    @Test func helpListsEveryCommand() throws {
        let run = try Run(["--help"])
        #expect(run.status == 0)
        for command in ["train", "eval", "predict", "devices", "selftest", "bench", "fetch", "data", "layers", "step"] {
            #expect(run.stdout.contains("  \(command)"), "--help does not list \(command)")
        }
    }

    @Test(arguments: [
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--batch-size", "0"], "--batch-size"),
        (["train", "--lr", "-1"], "--lr"),
        (["train", "--lr", "nan"], "--lr"),
        (["train", "--momentum", "1.5"], "--momentum"),
        (["train", "--weight-decay", "-0.1"], "--weight-decay"),
        (["train", "--optimizer", "rmsprop"], "--optimizer"),
        (["train", "--hidden", "128,x"], "--hidden"),
        (["train", "--hidden", ""], "--hidden"),
        (["train", "--hidden", "65536,65536"], "--hidden"),
        (["train", "--batch-size", "65536", "--hidden", "40000"], "--batch-size"),
        (["train", "--target-accuracy", "2"], "--target-accuracy"),
        (["train", "--metrics", "/nonexistent-dir/m.jsonl"], "--metrics"),
        (["train", "--cpu", "--device", "0"], "--cpu"),
        (["train", "--device", "1:"], "--device"),
        (["train", "--train", "a.csv"], "--train"),
        (["predict", "--model", "m.safetensors"], "--index"),
        (["step", "--lr", "0"], "--lr"),
        (["step", "--batch-size", "0"], "--batch-size"),
        (["predict", "m.safetensors", "--images", "a.png", "--json", "--csv"], "--csv"),
        (["predict", "m.safetensors", "--images", "a.png", "--svg", "a.svg"], "--svg"),
        (["predict", "m.safetensors", "--image", "a.png", "--images", "b.png"], "--images"),
        (["train", "--reinit-last"], "--reinit-last"),
        (["train", "--init", ""], "--init: the path is empty"),
        (["train", "--resume", ""], "--resume: the path is empty"),
        (["eval", "a.safetensors", "--model", "b.safetensors"], "--model"),
        (["selftest", "--cpu"], "--cpu"),
    ])
    func badOptionsAreNamed(_ arguments: [String], _ option: String) throws {
        let run = try Run(arguments)
        #expect(run.status != 0)
        #expect(run.stderr.contains(option), "\(arguments): \(run.stderr)")
    }

    @Test func devicesListsTheOpenCLDevice() throws {
        let table = try Run(["devices"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("Platform 0:"))
        // Exactly one device is marked as auto's pick; which one depends on the machine (a GPU, else the first).
        #expect(table.stdout.split(separator: "\n").filter { $0.hasPrefix("* ") && $0.dropFirst(2).first?.isNumber == true }.count == 1)
        let json = try Run(["devices", "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let platforms = try #require(parsed?["platforms"] as? [[String: Any]])
        #expect(!platforms.isEmpty)
    }

    /// Two PoCL devices in one process (`POCL_DEVICES`), found by their ids in `devices --json` rather than by
    /// position: `--devices` trains a replica on each, with the single device's losses.
    @Test func devicesTrainsOneReplicaOnEachDevice() throws {
        let data = try SmallData(), pocl = ["POCL_DEVICES": "pthread pthread"]
        let listing = try JSONSerialization.jsonObject(with: Data(try Run(["devices", "--json"], environment: pocl).stdout.utf8))
        let platforms = try #require((listing as? [String: Any])?["platforms"] as? [[String: Any]])
        let poclDevices = platforms.filter { ($0["name"] as? String)?.contains("Portable Computing Language") == true }
            .flatMap { $0["devices"] as? [[String: Any]] ?? [] }.compactMap { $0["id"] as? String }
        try #require(poclDevices.count == 2, "PoCL lists \(poclDevices) under POCL_DEVICES=\"pthread pthread\"")
        let arguments = ["train", "--data", data.path, "--epochs", "2", "--batch-size", "25", "--no-preview"]
        let one = try Run(arguments + ["--device", poclDevices[0]], environment: pocl)
        let two = try Run(arguments + ["--devices", poclDevices.joined(separator: ",")], environment: pocl)
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)\(two.stderr)")
        #expect(two.stdout.contains("Replicas:  2, each computing its slice of every batch of 25"), "\(two.stdout)")
        func losses(_ run: Run) -> [String] {
            run.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") && $0.contains("train loss") }
                .map { String($0.split(separator: " ")[4]) }
        }
        #expect(losses(one).count == 2 && losses(one) == losses(two), "\(one.stdout)\n\(two.stdout)")
    }

    @Test func unknownDeviceListsTheDevices() throws {
        let run = try Run(["selftest", "--device", "no such device"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("no device matches 'no such device'"))
        #expect(run.stderr.contains("0:0"))
    }

    @Test func missingOpenCLSaysWhatToInstallAndCPUStillTrains() throws {
        let data = try SmallData()
        let environment = ["CLTRAIN_OPENCL_LIBRARY": "/nonexistent/libOpenCL.so.1"]
        let devices = try Run(["devices"], environment: environment)
        #expect(devices.status != 0)
        #expect(devices.error.contains("apt-get install ocl-icd-libopencl1 pocl-opencl-icd"))
        #expect(devices.error.contains("--cpu"))
        let train = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--batch-size", "32"], environment: environment)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("native CPU"))
    }

    /// Train, save, resume, evaluate and predict on both backends, as the README shows them.
    @Test(arguments: [[], ["--cpu"]])
    func trainSaveResumeEvalPredict(_ device: [String]) throws {
        let data = try SmallData()
        let model = data.file("model.safetensors"), metrics = data.file("metrics.jsonl"), plot = data.file("curves.svg")
        let train = try Run(["train", "--data", data.path, "--epochs", "2", "--batch-size", "7", "--hidden", "33,7",
                             "--save", model, "--metrics", metrics, "--plot", plot] + device)
        #expect(train.status == 0, "\(train.stderr)")
        // Without a terminal the progress bar becomes plain lines: no carriage returns, no escape codes.
        #expect(!train.stdout.contains("\r") && !train.stdout.contains("\u{1B}"))
        #expect(train.stdout.contains("epoch 2/2  train loss"))
        #expect(train.stdout.contains("linear(33), relu, linear(7), relu, linear(10)"))
        let lines = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(Set(first?.keys.map { $0 } ?? []) == ["epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "samples_per_second", "lr"])
        #expect(try String(contentsOfFile: plot, encoding: .utf8).hasPrefix("<svg"))

        let resumed = try Run(["train", "--data", data.path, "--epochs", "3", "--resume", model] + device)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming after epoch 2"))
        #expect(resumed.stdout.contains("epoch 3/3  train loss") && !resumed.stdout.contains("epoch 2/3"))

        let again = try Run(["train", "--data", data.path, "--epochs", "3", "--resume", model] + device)
        #expect(again.status != 0 && again.error == "Error: --epochs 3: \(model) already holds 3 epochs; ask for more to continue it")
        let reshaped = try Run(["train", "--data", data.path, "--epochs", "4", "--resume", model, "--hidden", "5"] + device)
        #expect(reshaped.status != 0 && reshaped.stderr.contains("--resume continues the checkpoint's model"))

        let eval = try Run(["eval", "--model", model, "--data", data.path] + device)
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("epoch 3") && eval.stdout.contains("Confusion matrix"))

        let svg = data.file("prediction.svg")
        let predict = try Run(["predict", "--model", model, "--data", data.path, "--index", "49", "--svg", svg])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.contains("test image 49"))
        #expect(FileManager.default.fileExists(atPath: svg))
        let past = try Run(["predict", "--model", model, "--data", data.path, "--index", "50"])
        #expect(past.status != 0 && past.stderr.contains("--index 50"))
    }

    @Test func benchReportsKernelsLaunchesAndEpochs() throws {
        let data = try SmallData()
        let run = try Run(["bench", "--data", data.path, "--epochs", "1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let kernels = try #require(report["kernels"] as? [[String: Any]])
        #expect(Set(kernels.compactMap { $0["kernel"] as? String }).isSuperset(of: ["matmul_forward", "cross_entropy_forward_backward", "sgd_update"]))
        #expect(report["launches_per_step"] as? Int == 9)
        // Training's path, and the same step timed on both paths: replayed where the device records command buffers.
        #expect(report["step_path"] as? String == "queue")
        let paths = try #require(report["step_paths"] as? [String: Any])
        #expect(((paths["queue"] as? [String: Any])?["seconds_per_step"] as? Double ?? 0) > 0)
        #expect(((paths["command_buffer"] as? [String: Any])?["seconds_per_step"] as? Double ?? 0) > 0
                || paths["command_buffer_absence"] is String)
        JSONOutputTests().expectConventions(report, "bench")
        #expect((report["epochs"] as? [Any])?.count == 1)
        #expect((report["seconds_per_epoch"] as? Double ?? 0) > 0)
        let cpu = try Run(["bench", "--cpu", "--data", data.path, "--epochs", "1"])
        #expect(cpu.status == 0 && cpu.stdout.contains("seconds per epoch") && !cpu.stdout.contains("launches"))
    }

    /// `bench --compare`: one epoch on the OpenCL device and one on the host, and the faster one named.
    @Test func benchComparesTheOpenCLDeviceWithCPU() throws {
        let data = try SmallData()
        let run = try Run(["bench", "--compare", "--data", data.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let devices = try #require(report["devices"] as? [[String: Any]])
        #expect(devices.count == 2 && (devices[0]["device"] as? String)?.hasPrefix("OpenCL") == true
                && (devices[1]["device"] as? String)?.hasPrefix("native CPU") == true, "\(run.stdout)")
        let seconds = devices.map { $0["seconds"] as? Double ?? 0 }
        #expect(report["faster"] as? String == (seconds[1] < seconds[0] ? "cpu" : "opencl") && (report["ratio"] as? Double ?? 0) >= 1)
        let text = try Run(["bench", "--compare", "--data", data.path])
        #expect(text.stdout.contains(" is faster here"), "\(text.stdout)")
        let cpu = try Run(["bench", "--compare", "--cpu", "--data", data.path])
        #expect(cpu.status != 0 && cpu.stderr.contains("--compare times the OpenCL device against --cpu itself; leave out --cpu"))
    }

    @Test func targetAccuracyFailsTheRun() throws {
        let data = try SmallData()
        let run = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--target-accuracy", "1"])
        #expect(run.status == 1)
        #expect(run.error.contains("--target-accuracy") && run.error.contains("below the target") && !run.stdout.contains("below"))
    }

    @Test func badFilesGetOneLineErrorsAndNoCrash() throws {
        let data = try SmallData()
        try data.write("garbage.safetensors", Array("not a checkpoint".utf8))
        let checkpoint = try Run(["eval", "--model", data.file("garbage.safetensors"), "--data", data.path])
        #expect(checkpoint.status != 0)
        #expect(checkpoint.error.contains("garbage.safetensors") && !checkpoint.error.contains("\n"))

        try data.write("t10k-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 50, 3])  // 50 labels promised, 1 present
        let truncated = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1"])
        #expect(truncated.status != 0)
        #expect(truncated.error.contains("t10k-labels-idx1-ubyte") && !truncated.error.contains("\n"))
    }
}
