import ArgumentParser
import CLTrain
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Show a checkpoint's prediction for an image beside its class probabilities, or for many images.",
        discussion: "The image is a test-set image (--index) or a PNG, JPEG or PGM file (--image) of any size; --images "
            + "predicts every PNG and PGM file of folders and files named, in one run. For a grey model a drawing on a light "
            + "background is inverted to the light-on-black of the training data, its ink is scaled into 20×20 and centred "
            + "by its centre of mass in 28×28 as MNIST's digits were (--no-center skips this and only resizes); a colour "
            + "model's image is resized. The output says what was done."
    )

    @OptionGroup var model: CheckpointArgument

    @Option(parsing: .unconditional, help: ArgumentHelp("Index of a test-set image.", valueName: "n"))
    var index: Int?

    @Option(help: ArgumentHelp("A PNG (grey, RGB, palette, alpha, 16-bit), JPEG or PGM (P2, P5) image of any size; colour for a colour model.",
                               valueName: "file"))
    var image: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Predict every PNG and PGM file in these folders and files.", valueName: "dir|file"))
    var images: [String] = []

    @Flag(inversion: .prefixedNo, help: "Scale and centre the drawing by its centre of mass as MNIST's digits were. (default: on)")
    var center = true

    @Flag(help: "With --images: print CSV, one row per image.")
    var csv = false

    @Option(help: ArgumentHelp("Also draw the picture into this SVG file.", valueName: "file"))
    var svg: String?

    @Flag(help: "Print JSON instead of the picture.")
    var json = false

    @OptionGroup var data: DataOptions

    func validate() throws {
        if [index != nil, image != nil, !images.isEmpty].filter({ $0 }).count != 1 {
            throw ValidationError("pass exactly one of --index N, --image FILE and --images DIR|FILE…")
        }
        if csv && (json || images.isEmpty) { throw ValidationError("--csv prints the rows of --images; pass it with --images and without --json") }
        if svg != nil && !images.isEmpty { throw ValidationError("--svg draws one picture; pass it with --index or --image, not --images") }
        if let index, index < 0 { throw ValidationError("--index must be zero or positive, got \(index)") }
        try checkOutputs([("--svg", svg)], inputs: [("--model", model.path), ("--image", image), ("--train", data.train), ("--test", data.test)]
                         + images.map { ("--images", $0) })
    }

    func run() throws {
        let checkpoint = try Checkpoint.load(from: model.path)
        let input = checkpoint.model.input
        // The image is resized to the model's input and run through it on the host: a checkpoint may declare an
        // input of 65536×65536, which would need tens of GiB.
        let limits = ComputeDevice.MemoryLimits.host
        try MemoryEstimate(predicting: checkpoint.model).check(limit: limits.host, place: limits.hostPlace,
                                                              advice: "\(model.path)'s model (input \(input)) is too large to run here")
        let request = data.request(for: checkpoint, path: model.path)
        let names = checkpoint.classNames ?? request.kind.classNames(count: checkpoint.model.classes)
        guard let (channels, height, width) = input.image, channels == 1 || channels == 3 else {
            throw CommandError("\(model.path): the model reads \(input) values, not a grey or colour image")
        }
        if !images.isEmpty {
            guard channels == 1 else { throw CommandError("--images reads grey pictures; \(model.path)'s model reads colour: pass each with --image") }
            try predictMany(checkpoint, names: names, width: width, height: height)
            return
        }
        let pixels: [UInt8]
        var caption: String, label: Int?, inverted = false
        if let image, channels == 3 {
            // A colour model sees the file as its data would hold it: three planes (grey repeated), resized by area.
            var picture = try PlanarImage.read(path: image).rgb()
            caption = image
            if picture.width != width || picture.height != height {
                caption += " (\(picture.width)×\(picture.height), resized to \(width)×\(height))"
                picture = picture.resized(width: width, height: height)
            }
            pixels = picture.pixels
        } else if let image {
            let prepared = try prepare(image, width: width, height: height)
            (pixels, inverted) = (prepared.pixels, prepared.inverted)
            caption = image + prepared.notes.map { " (\($0))" }.joined()
        } else {
            let loaded = try request.load()
            try checkOutputs([("--svg", svg)], notAmong: loaded.files)
            try checkpoint.checkFits(loaded, path: model.path)
            let test = loaded.test
            let index = self.index!
            guard index < test.count else {
                throw CommandError("--index \(index) is past the end of the test set (\(test.count) images)")
            }
            pixels = Array(test.image(index))
            label = Int(test.labels[index])
            caption = "test image \(index), labelled \(names[label!])"
        }
        let prediction = Prediction(parameters: checkpoint.parameters, normalization: checkpoint.normalization, pixels: pixels)
        let grey = DigitView.grey(pixels, channels: channels)
        try checkFiniteOutputs(prediction.probabilities.map(Double.init), checkpoint: model.path, on: image ?? "test image \(index!)")
        if let svg {
            try writeAtomically(DigitView.svg(pixels: channels == 3 ? pixels : grey, width: width, channels: channels == 3 ? 3 : 1,
                                              probabilities: prediction.probabilities,
                                              classNames: names, label: label),
                                to: svg, option: "--svg")
        }
        if json {
            print(try PredictReport(checkpoint: model.path, image: image ?? "test image \(index!)", inverted: inverted,
                                    label: label, probabilities: prediction.probabilities, classNames: names).reportJSON())
            return
        }
        caption += ": predicted \(names[prediction.predictedClass])"
        if let label, label != prediction.predictedClass { caption += " (wrong)" }
        print(caption)
        // A colour image in its colours where the terminal says it has 24-bit colour (COLORTERM, as most set it).
        let trueColour = isatty(STDOUT_FILENO) == 1 && ["truecolor", "24bit"].contains(ProcessInfo.processInfo.environment["COLORTERM"] ?? "")
        print(DigitView.terminal(pixels: channels == 3 ? pixels : grey, width: width, channels: channels == 3 ? 3 : 1,
                                 trueColour: trueColour, probabilities: prediction.probabilities, classNames: names))
    }

    /// A picture file as the model reads it: inverted where it is dark on light, centred as MNIST's digits were (or only
    /// resized, with --no-center), with a note for each change.
    private func prepare(_ path: String, width: Int, height: Int) throws -> (pixels: [UInt8], inverted: Bool, notes: [String]) {
        var picture = try Picture.read(path: path), notes: [String] = []
        let inverted = picture.isDarkOnLight
        if inverted {
            picture = picture.inverted()
            notes.append("inverted: a dark drawing on a light background; the model's data is light on black")
        }
        let size = "\(picture.width)×\(picture.height)"
        if center {
            picture = picture.centered(width: width, height: height)
            notes.append("\(size), its ink scaled into \(width * 20 / 28)×\(height * 20 / 28) and centred by its centre of mass, as MNIST's digits")
        } else if picture.width != width || picture.height != height {
            picture = picture.resized(width: width, height: height)
            notes.append("\(size), resized to \(width)×\(height)")
        }
        return (picture.pixels, inverted, notes)
    }

    /// `--images`: every picture of the folders and files named, one line (or JSON object, or CSV row) each.
    private func predictMany(_ checkpoint: Checkpoint, names: [String], width: Int, height: Int) throws {
        var reports: [PredictReport] = []
        for path in try pictureFiles() {
            let prepared = try prepare(path, width: width, height: height)
            let prediction = Prediction(parameters: checkpoint.parameters, normalization: checkpoint.normalization, pixels: prepared.pixels)
            try checkFiniteOutputs(prediction.probabilities.map(Double.init), checkpoint: model.path, on: path)
            let report = PredictReport(checkpoint: model.path, image: path, inverted: prepared.inverted, label: nil,
                                       probabilities: prediction.probabilities, classNames: names)
            reports.append(report)
            if !json && !csv {
                print("\(path): \(report.predictedName) (\(String(format: "%.3f", report.probabilities[report.predicted])))"
                      + (prepared.inverted ? ", inverted" : ""))
            }
        }
        let all = PredictionsReport(checkpoint: model.path, predictions: reports)
        if json { print(try all.reportJSON()) }
        if csv { print(all.csv()) }
    }

    /// The files `--images` names: each file as it is, each folder's PNG and PGM files by name.
    private func pictureFiles() throws -> [String] {
        try images.flatMap { path -> [String] in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [path] }
            let entries: [String]
            do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                throw CommandError("--images \(path): cannot list the folder: \(error.localizedDescription)")
            }
            let pictures = entries.filter { ["png", "pgm"].contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }.sorted()
            guard !pictures.isEmpty else { throw CommandError("--images \(path): the folder has no .png or .pgm files") }
            return pictures.map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
        }
    }
}
