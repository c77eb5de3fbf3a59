import CLTrain
import Foundation
import Testing

/// `--model` as a user types it, and what a checkpoint carries from one run to the next.
@Suite struct ModelAndResumeTests {
    @Test func malformedOrMisfittingSpecsGetOneLineNamingTheProblem() throws {
        let data = try SmallData()
        for (spec, message) in [
            ("linear(128), reluu", "unknown layer 'reluu'"),
            ("linear(128", "expected ')' at the end of 'linear(128'"),
            ("linear(x)", "linear: out_features must be a width from 1 to 1048576, got 'x'"),
            ("dropout(1.5)", "dropout: p must be a probability in [0, 1), got '1.5'"),
            ("conv2d(6, 5, paddin=2)", "conv2d has no argument 'paddin'"),
            // Issue 19: an empty argument trapped (SIGILL); a repeated one was called unknown.
            ("linear(10,)", "expected an argument in 'linear(10,)'"),
            ("linear(,10)", "expected an argument in 'linear(,10)'"),
            ("conv2d(6, 5, padding=)", "expected an argument in 'conv2d(6, 5, padding=)'"),
            ("conv2d(6, 5, padding=1, padding=2)", "conv2d: padding is given twice in 'conv2d(6, 5, padding=1, padding=2)'; give it once"),
            ("conv2d(6, 5, kernel_size=3)", "conv2d: kernel_size is given twice, by position and by name; give it once"),
        ] {
            // A syntax error is an option error: its one line, then ArgumentParser's usage hint.
            let run = try Run(["train", "--data", data.path, "--model", spec])
            #expect(run.status != 0 && run.stderr.split(separator: "\n").first?.contains("--model: " + message) == true, "\(spec): \(run.stderr)")
        }
        // Shapes that do not fit the data are refused before anything is allocated.
        for (spec, message) in [
            ("linear(128), relu, linear(5)", "the last layer gives 5 outputs but the data has 10 classes; end the model with linear(10)"),
            ("conv2d(6, 5), linear(10)", "linear(10) (layer 1) needs a flat input but gets 6×24×24; put flatten before it"),
            ("flatten, conv2d(6, 5)", "conv2d(6, 5) (layer 1) needs an image"),
            ("conv2d(6, 29), flatten, linear(10)", "kernel, larger than its 28×28 input"),
        ] {
            let run = try Run(["train", "--data", data.path, "--model", spec, "--cpu"])
            #expect(run.status != 0 && run.error.contains(message) && !run.error.contains("\n"), "\(spec): \(run.stderr)")
            #expect(!run.stdout.contains("Device:"), "\(spec) got as far as the device")
        }
        let help = try Run(["train", "--help"])
        for text in ["linear(out_features)", "dropout(p=0.5)", "conv2d(", "maxpool2d(", "lenet5", "flatten, linear(256)"] {
            #expect(help.stdout.contains(text), "train --help lacks \(text)")
        }
    }

    /// `--summary` prints the table and stops before the device; a layer after the last one with parameters is warned of.
    @Test func summaryPrintsTheLayersAndStopsAndTrailingLayersAreWarnedOf() throws {
        let data = try SmallData()
        let run = try Run(["train", "--data", data.path, "--model", "nn.Flatten(), nn.Linear(784, 10), nn.ReLU()", "--summary"])
        #expect(run.status == 0 && !run.stdout.contains("Device:"), "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                == [["#", "Layer", "Output", "shape", "Parameters"], ["0", "flatten", "784", "0"], ["1", "linear(10)", "10", "7850"],
                    ["2", "relu", "10", "0"], ["Total", "(input", "1×28×28)", "10", "classes", "7850"]], "\(run.stdout)")
        #expect(run.stderr.hasPrefix("warning: --model: relu (layer 2) comes after the last layer with parameters"), "\(run.stderr)")
    }

    /// `--init` starts a new run from a checkpoint's weights (its model unless --model); a torch.save file gets the line
    /// that says how to save safetensors; --init with --resume, or --reinit-last alone, are refused.
    @Test func initStartsFromWeightsAndRefusesTorchSaveFiles() throws {
        let data = try SmallData()
        let first = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--no-preview", "-q", "--model",
                             "flatten, linear(8), relu, linear(10)", "--save", data.file("a.safetensors")])
        #expect(first.status == 0, "\(first.stderr)")
        let transfer = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--no-preview", "--init", data.file("a.safetensors"),
                                "--reinit-last"])
        #expect(transfer.status == 0 && transfer.stdout.contains("Model:     flatten, linear(8), relu, linear(10),")
                && transfer.stdout.contains("Init:      \(data.file("a.safetensors")), the last layer with parameters drawn afresh"),
                "\(transfer.stdout)\(transfer.stderr)")
        let misfit = try Run(["train", "--cpu", "--data", data.path, "--init", data.file("a.safetensors"), "--model", "flatten, linear(10)"])
        #expect(misfit.status != 0 && misfit.error == "Error: \(data.file("a.safetensors")): the tensors do not fit the model flatten, linear(10): "
                + "1.weight is F32 [8, 784], the model's is F32 [10, 784]; 1.bias is F32 [8], the model's is F32 [10]; "
                + "3.bias is not in the model; 3.weight is not in the model", "\(misfit.stderr)")
        try data.write("model.pt", Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 0, count: 100))
        let pickle = try Run(["train", "--cpu", "--data", data.path, "--init", data.file("model.pt")])
        #expect(pickle.status == 1 && pickle.error.hasSuffix("save_file(model.state_dict(), \"model.safetensors\")") && !pickle.error.contains("\n"),
                "\(pickle.stderr)")
        let both = try Run(["train", "--cpu", "--data", data.path, "--init", data.file("a.safetensors"), "--resume", data.file("a.safetensors")])
        #expect(both.status != 0 && both.stderr.contains("--init starts a new run from weights and --resume continues one"))
        let alone = try Run(["train", "--cpu", "--data", data.path, "--reinit-last"])
        #expect(alone.status != 0 && alone.stderr.contains("--reinit-last re-initializes"))
    }

    /// `cltrain step` shows the corner and checks the SGD update on both backends; another optimizer's step is not checked.
    @Test(arguments: [[], ["--cpu"]])
    func stepShowsTheCornerAndChecksTheUpdate(_ device: [String]) throws {
        let data = try SmallData()
        let run = try Run(["step", "--data", data.path, "--model", "conv2d(2, 3), relu, maxpool2d(2), flatten, linear(10)"] + device)
        #expect(run.status == 0, "\(run.stderr)")
        for text in ["0.weight [2, 1, 3, 3], rows 0–1, columns", "Initial weights:", "Gradient (after the backward pass", "Updated weights",
                     "Check:     W_new = W − lr·∇W holds for all 3410 parameters, lr 0.003"] {
            #expect(run.stdout.contains(text), "\(text): \(run.stdout)")
        }
        let adam = try Run(["step", "--data", data.path, "--model", "dropout", "--batch-size", "8"] + device)
        #expect(adam.status == 0 && adam.stdout.contains("Check:     skipped: W_new = W − lr·∇W is plain SGD's rule; adam lr 0.003"), "\(adam.stdout)")
    }

    /// `predict --images` predicts every picture of a folder and named files in one run, as lines, JSON or CSV; messages
    /// about data of one's own name the data, not MNIST; `train` says what it saved.
    @Test func predictManyImagesAndNameTheData() throws {
        let data = try SmallData()
        let train = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--no-preview", "--save", data.file("m.safetensors"),
                             "--metrics", data.file("m.jsonl"), "--plot", data.file("m.svg")])
        for file in ["m.safetensors", "m.jsonl", "m.svg"] {
            #expect(train.stdout.contains("Saved:     \(data.file(file))"), "\(file): \(train.stdout)")
        }
        try FileManager.default.createDirectory(atPath: data.file("pictures"), withIntermediateDirectories: false)
        let pgm = Array("P5 40 40 255\n".utf8) + (0..<1600).map { $0 % 40 > 30 && $0 / 40 < 12 ? 255 : 0 }
        for name in ["pictures/b.pgm", "pictures/a.pgm", "c.pgm"] { try data.write(name, pgm) }
        try data.write("pictures/notes.txt", Array("not a picture".utf8))
        let lines = try Run(["predict", data.file("m.safetensors"), "--images", data.file("pictures"), data.file("c.pgm")])
        #expect(lines.status == 0 && lines.stdout.split(separator: "\n").map { $0.split(separator: ":").first.map(String.init) }
                == [data.file("pictures/a.pgm"), data.file("pictures/b.pgm"), data.file("c.pgm")], "\(lines.stdout)\(lines.stderr)")
        let json = try Run(["predict", data.file("m.safetensors"), "--images", data.file("c.pgm"), "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((report["predictions"] as? [[String: Any]])?.first?["image"] as? String == data.file("c.pgm"))
        let csv = try Run(["predict", data.file("m.safetensors"), "--images", data.file("pictures"), "--csv"])
        #expect(csv.stdout.hasPrefix("image,predicted,predicted_name,p_0,p_1,") && csv.stdout.split(separator: "\n").count == 3, "\(csv.stdout)")
        let one = try Run(["predict", data.file("m.safetensors"), "--image", data.file("c.pgm")])
        #expect(one.stdout.contains("(40×40, its ink scaled into 20×20 and centred by its centre of mass, as MNIST's digits)"), "\(one.stdout)")
        let plain = try Run(["predict", data.file("m.safetensors"), "--image", data.file("c.pgm"), "--no-center"])
        #expect(plain.stdout.contains("(40×40, resized to 28×28)"), "\(plain.stdout)")
        try FileManager.default.createDirectory(atPath: data.file("empty"), withIntermediateDirectories: false)
        let empty = try Run(["predict", data.file("m.safetensors"), "--images", data.file("empty")])
        #expect(empty.status == 1 && empty.error == "Error: --images \(data.file("empty")): the folder has no .png or .pgm files", "\(empty.stderr)")

        let misfit = try Run(["train", "--cpu", "--data", data.path, "--model", "flatten, linear(5)"])
        let folder = URL(fileURLWithPath: data.path).lastPathComponent
        #expect(misfit.error.hasPrefix("Error: --model does not fit \(folder) (1×28×28 images, 10 classes)") && !misfit.error.contains("MNIST"),
                "\(misfit.stderr)")
        let summary = try Run(["data", "--data", data.path])
        #expect(summary.stdout.hasPrefix("\(folder) from "), "\(summary.stdout)")
    }

    /// A checkpoint alone rebuilds its model (dropout and convolutions included), and evaluation is deterministic.
    @Test(arguments: ["flatten, linear(20), relu, dropout(0.3), linear(10)",
                      "conv2d(3, 5, padding=2), relu, maxpool2d(2), dropout(0.1), flatten, linear(10)"])
    func checkpointRebuildsItsModel(_ spec: String) throws {
        let data = try SmallData()
        let model = data.file("m.safetensors")
        let train = try Run(["train", "--data", data.path, "--epochs", "1", "--batch-size", "16", "--model", spec, "--save", model,
                             "--no-preview"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("Model:     \(spec), log-softmax + NLL"))
        let first = try Run(["eval", model, "--data", data.path, "--json"]), second = try Run(["eval", model, "--data", data.path, "--json"])
        #expect(first.status == 0 && first.stdout == second.stdout, "\(first.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect(report["model"] as? String == spec)
        let cpu = try Run(["eval", model, "--data", data.path, "--json", "--cpu"])
        let cpuReport = try #require(try JSONSerialization.jsonObject(with: Data(cpu.stdout.utf8)) as? [String: Any])
        #expect(cpuReport["accuracy"] as? Double == report["accuracy"] as? Double)
    }

    @Test func resumeKeepsTheHistoryAndRecordsFineTuning() throws {
        let data = try SmallData()
        let model = data.file("m.safetensors"), metrics = data.file("metrics.jsonl")
        let first = try Run(["train", "--cpu", "--data", data.path, "--epochs", "2", "--save", model, "--metrics", metrics])
        #expect(first.status == 0, "\(first.stderr)")
        let resumed = try Run(["train", "--cpu", "--data", data.path, "--epochs", "3", "--resume", model, "--lr", "0.01",
                               "--metrics", metrics])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("sgd lr 0.01,"))
        let epochs = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["epoch"] as? Int
        }
        #expect(epochs == [1, 2, 3])
        let checkpoint = try Checkpoint.load(from: model)
        #expect(checkpoint.history.map(\.epoch) == [1, 2, 3] && checkpoint.optimizer.learningRate == 0.01)
        #expect(checkpoint.changes == ["after epoch 2: lr 0.003 → 0.01, epochs 2 → 3"])

        let otherOptimizer = try Run(["train", "--cpu", "--data", data.path, "--epochs", "4", "--resume", model, "--optimizer", "adam"])
        #expect(otherOptimizer.status != 0 && otherOptimizer.error.contains("was trained with sgd"))
    }

    /// A run stopped after epoch 2 of 3 and resumed with nothing but `--resume` prints the losses of the straight
    /// run: the schedule's position and horizon, the warm-up, Nesterov, the batch size and the data order all come
    /// back from the checkpoint.
    /// With a small ResNet too, whose batch norms' running statistics (used by each epoch's evaluation) must come
    /// back from the checkpoint as well.
    @Test(arguments: [(["--cpu"], "lesson"), ([], "lesson"),
                      (["--cpu"], "conv2d(3, 3, padding=1, bias=false), batchnorm2d, relu, maxpool2d(2), residual(conv2d(4, 3, "
                        + "stride=2, padding=1, bias=false), batchnorm2d), relu, flatten, batchnorm1d, linear(10)"),
                      ([], "conv2d(3, 3, padding=1, bias=false), batchnorm2d, relu, maxpool2d(2), residual(conv2d(4, 3, "
                        + "stride=2, padding=1, bias=false), batchnorm2d), relu, flatten, batchnorm1d, linear(10)")])
    func resumedScheduleContinuesTheStraightRun(_ device: [String], _ model: String) throws {
        let data = try SmallData()
        let recipe = ["train", "--data", data.path, "--epochs", "3", "--batch-size", "24", "--lr", "0.05", "--momentum", "0.9",
                      "--nesterov", "--weight-decay", "5e-4", "--schedule", "cosine", "--warmup", "5", "-q", "--model", model] + device
        let straight = try Run(recipe + ["--metrics", data.file("straight.jsonl")])
        #expect(straight.status == 0, "\(straight.stderr)")
        let model = data.file("m.safetensors")
        let stopped = try Run(recipe + ["--stop-after", "2", "--save", model])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try Checkpoint.load(from: model).epoch == 2)
        let resumed = try Run(["train", "--data", data.path, "--resume", model, "-q", "--metrics", data.file("resumed.jsonl")] + device)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let lines = straight.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        let lossesOnly = { (line: Substring) in line.components(separatedBy: "  ").filter { $0.contains("loss") || $0.contains("lr") } }
        #expect(lines.count == 3)
        #expect(resumed.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.map(lossesOnly) == [lossesOnly(lines[2])],
                "\(resumed.stdout) against \(straight.stdout)")
        // The metrics carry each epoch's last rate; cosine ends the run at (nearly) zero.
        let rates = try String(contentsOfFile: data.file("resumed.jsonl"), encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["lr"] as? Double
        }
        #expect(rates.count == 3 && rates.allSatisfy { $0 != nil } && rates[2]! < 1e-3, "\(rates)")
        #expect(try Checkpoint.load(from: model).changes.isEmpty)
    }

    @Test func checkpointsCarryTheirDataset() throws {
        let data = try SmallData()
        let model = data.file("m.safetensors")
        let train = try Run(["train", "--cpu", "--data", data.path, "--dataset", "fashion", "--epochs", "1", "--save", model])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try Checkpoint.load(from: model).datasetKind == .fashion)
        // Fashion's class names without --dataset: the checkpoint's own.
        let predict = try Run(["predict", model, "--data", data.path, "--index", "0"])
        let fashion = DatasetKind.fashion.classNames
        #expect(predict.status == 0 && fashion.contains { predict.stdout.contains("labelled \($0)") }, "\(predict.stdout)")
        let other = try Run(["eval", model, "--data", data.path, "--dataset", "mnist"])
        #expect(other.status == 0 && other.stderr.contains("warning: \(model) was trained on Fashion-MNIST; using MNIST"))
        let resume = try Run(["train", "--cpu", "--data", data.path, "--dataset", "mnist", "--epochs", "2", "--resume", model])
        #expect(resume.status != 0 && resume.error.contains("was trained on Fashion-MNIST"))
    }

    /// Data whose labels reach fewer classes than the model has (9 of 10) is evaluated, predicted and resumed on
    /// with the model's classes: names, confusion matrix and preview all size by the model.
    @Test func dataWithFewerClassesThanTheModel() throws {
        let data = try SmallData()
        let model = data.file("m.safetensors")
        #expect(try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--save", model]).status == 0)
        var generator = SeededGenerator(seed: 9)
        func nineClasses(_ count: Int) -> Dataset {
            Dataset(name: "nine", images: (0..<(count * 784)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                    labels: (0..<count).map { UInt8($0 % 9) })
        }
        let (train, test) = (nineClasses(90), nineClasses(27))
        try FileManager.default.createDirectory(atPath: data.file("nine"), withIntermediateDirectories: true)
        for (name, bytes) in [("train-images-idx3-ubyte", IDX.encodeImages(train)), ("train-labels-idx1-ubyte", IDX.encodeLabels(train)),
                              ("t10k-images-idx3-ubyte", IDX.encodeImages(test)), ("t10k-labels-idx1-ubyte", IDX.encodeLabels(test))] {
            try data.write("nine/" + name, bytes)
        }
        let nine = data.file("nine")
        let eval = try Run(["eval", model, "--data", nine, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect((report["class_names"] as? [String])?.count == 10 && (report["confusion"] as? [[Int]])?.count == 10)
        let resumed = try Run(["train", "--cpu", "--data", nine, "--epochs", "2", "--resume", model])
        #expect(resumed.status == 0 && resumed.stdout.contains("Test image 0"), "\(resumed.stderr)")
    }
}
