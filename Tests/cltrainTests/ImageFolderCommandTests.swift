import CLTrain
import Foundation
import TestFixtures
import Testing

/// An image folder of two classes of 6×5 colour images, reddish `circle` and bluish `square`, in train/ and val/,
/// with a JPEG among the PNGs and a README the loader must ignore; its decode cache stays in the folder.
final class ColourFolder {
    let root: TemporaryCommandFolder
    var path: String { root.file("images") }
    var environment: [String: String] { ["XDG_CACHE_HOME": root.file("cache")] }

    init() throws {
        root = try TemporaryCommandFolder()
        var generator = SeededGenerator(seed: 20)
        for (split, count) in [("train", 12), ("val", 4)] {
            for (label, name) in ["circle", "square"].enumerated() {
                for i in 0..<count {
                    let samples = (0..<30).flatMap { _ -> [UInt8] in
                        let noise = UInt8.random(in: 0...60, using: &generator)
                        return label == 0 ? [180 + noise, noise, 40] : [noise, 60, 180 + noise]
                    }
                    let jpeg = i == 0 && split == "train"
                    try root.write("images/\(split)/\(name)/\(i).\(jpeg ? "jpg" : "png")",
                                   jpeg ? ImageFileWriter.jpeg(width: 6, height: 5, channels: 3, samples: samples)
                                        : ImageFileWriter.png(width: 6, height: 5, kind: .rgb, samples: samples))
                }
            }
        }
        try root.write("images/train/README.txt", Array("two classes".utf8))
    }
}

/// A temporary folder for a command-line test, removed afterwards.
final class TemporaryCommandFolder {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cltrain-cli-\(UUID().uuidString)").path

    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(atPath: (file(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }
}

@Suite struct ImageFolderCommandTests {
    /// The train loss of each epoch line of a `-q` run.
    func losses(_ output: String) -> [Double] {
        output.split(separator: "\n").compactMap { line in
            line.range(of: "train loss ").flatMap { Double(line[$0.upperBound...].prefix { $0 != " " }) }
        }
    }

    /// A 3-channel model trains on both backends with the same losses; the checkpoint keeps the class names and the
    /// measured per-channel normalization, and `eval`, `predict` and `data` show the names.
    @Test func colourFolderTrainsOnBothBackendsAndNamesItsClasses() throws {
        let folder = try ColourFolder()
        let model = folder.root.file("model.safetensors")
        let arguments = ["train", "--data", folder.path, "--model", "flatten, linear(8), relu, linear(2)", "--epochs", "2",
                         "--lr", "0.05", "--normalize", "auto", "-q"]
        let cpu = try Run(arguments + ["--cpu", "--save", model], environment: folder.environment)
        #expect(cpu.status == 0, "\(cpu.stderr)")
        let openCL = try Run(arguments, environment: folder.environment)
        #expect(openCL.status == 0, "\(openCL.stderr)")
        let (cpuLosses, openCLLosses) = (losses(cpu.stdout), losses(openCL.stdout))
        #expect(cpuLosses.count == 2 && openCLLosses.count == 2, "\(cpu.stdout)")
        // The backends sum in other orders; two epochs of 24 images keep them within rounding of the printed 4 decimals.
        expectClose(openCLLosses, cpuLosses, absolute: 1e-3, "PoCL against --cpu")

        let checkpoint = try Checkpoint.load(from: model)
        #expect(checkpoint.classNames == ["circle", "square"])
        #expect(checkpoint.normalization.mean.count == 3 && checkpoint.normalization.mean[0] > checkpoint.normalization.mean[1],
                "auto measures each channel: red is brighter than green here: \(checkpoint.normalization)")
        let eval = try Run(["eval", model, "--data", folder.path, "--cpu"], environment: folder.environment)
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("recall  class") && eval.stdout.contains("  circle\n") && eval.stdout.hasSuffix("  square\n"), "\(eval.stdout)")
        let predict = try Run(["predict", model, "--data", folder.path, "--index", "5"], environment: folder.environment)
        #expect(predict.status == 0 && predict.stdout.hasPrefix("test image 5, labelled square: predicted ")
                && predict.stdout.contains(" circle [") && predict.stdout.contains(" square ["), "\(predict.stdout) \(predict.stderr)")
        // A colour file of another size goes through a colour model as its data would: three planes, resized.
        let photo = folder.root.file("photo.jpg")
        try folder.root.write("photo.jpg", ImageFileWriter.jpeg(width: 12, height: 10, channels: 3,
                                                                samples: (0..<120).flatMap { _ in [220, 20, 40] as [UInt8] }))
        let picture = folder.root.file("photo.svg")
        let file = try Run(["predict", model, "--image", photo, "--svg", picture], environment: folder.environment)
        #expect(file.status == 0 && file.stdout.hasPrefix("\(photo) (12×10, resized to 6×5): predicted "), "\(file.stdout) \(file.stderr)")
        // The SVG draws the red photo in colour: every pixel's fill has far more red than green.
        let fills = try String(contentsOfFile: picture, encoding: .utf8).components(separatedBy: "fill=\"rgb(").dropFirst()
            .map { $0.prefix { $0 != ")" }.split(separator: ",").compactMap { Int($0) } }
        #expect(fills.count == 30 && fills.allSatisfy { $0.count == 3 && $0[0] > $0[1] + 150 }, "\(fills)")
        let data = try Run(["data", "--data", folder.path], environment: folder.environment)
        #expect(data.stdout.contains("classes: circle, square") && data.stdout.contains("ignored 1 file that is not a PNG or JPEG image")
                && data.stdout.contains("decoded images read from the cache"), "\(data.stdout)")
    }

    /// A folder of class folders split by --validation-split and resized: the checkpoint keeps the split, its seed and
    /// the size, so eval tests on the same held-out images without being told, and a resume may not change the split.
    @Test func validationSplitIsKeptForEvalAndResume() throws {
        let folder = try ColourFolder()
        let classes = folder.root.file("images/train")  // circle/ and square/, 12 images each, plus a README
        let model = folder.root.file("split.safetensors")
        let train = try Run(["train", "--cpu", "--data", classes, "--validation-split", "0.25", "--seed", "4", "--model", "flatten, linear(2)",
                             "--resize", "4,3", "--epochs", "1", "--save", model, "-q"], environment: folder.environment)
        #expect(train.status == 0, "\(train.stderr)")
        let eval = try Run(["eval", model, "--data", classes, "--cpu"], environment: folder.environment)
        #expect(eval.status == 0 && eval.stdout.contains("Data:     6 test images from "), "\(eval.stdout) \(eval.stderr)")
        let resume = try Run(["train", "--cpu", "--data", classes, "--resume", model, "--epochs", "2", "--validation-split", "0.5"],
                             environment: folder.environment)
        #expect(resume.status != 0 && resume.error.contains("--validation-split 0.5: \(model) holds out 0.25"), "\(resume.stderr)")
    }

    @Test(arguments: [
        (["--normalize", "1,2,3"], "--normalize must be"),
        (["--normalize", "0.1,0.2,0.3/0.5,0.5,0.5"], "--normalize 0.1,0.2,0.3/0.5,0.5,0.5: expected one value or 1"),
        (["--resize", "0,5"], "--resize must be H,W"),
        (["--validation-split", "1.5"], "--validation-split must be a fraction"),
    ])
    func badInputOptionsAreOneLineErrors(_ options: [String], _ message: String) throws {
        let data = try SmallData()
        let run = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--hidden", "4"] + options)
        // The first line names the option; a refusal before the run (ArgumentParser's) adds the usage below it.
        #expect(run.status != 0 && run.error.split(separator: "\n").first?.contains(message) == true, "\(run.stderr)")
    }
}

/// Expects every `actual` within `absolute` of `expected`.
private func expectClose(_ actual: [Double], _ expected: [Double], absolute: Double, _ what: String) {
    #expect(actual.count == expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) <= absolute }, "\(what): \(actual) vs \(expected)")
}
