import ArgumentParser
import CLTrain
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Show a checkpoint's prediction for one image beside its class probabilities.",
        discussion: "The image is a test-set image (--index) or a PNG, JPEG or PGM file (--image) of any size: it is "
            + "resized to the model's input; for a grey model a dark digit on a light background is inverted to look like "
            + "MNIST's light digits on black (the output says so)."
    )

    @OptionGroup var model: CheckpointArgument

    @Option(parsing: .unconditional, help: ArgumentHelp("Index of a test-set image.", valueName: "n"))
    var index: Int?

    @Option(help: ArgumentHelp("A PNG (grey, RGB, palette, alpha, 16-bit), JPEG or PGM (P2, P5) image of any size; colour for a colour model.",
                               valueName: "file"))
    var image: String?

    @Option(help: ArgumentHelp("Also draw the picture into this SVG file.", valueName: "file"))
    var svg: String?

    @Flag(help: "Print JSON instead of the picture.")
    var json = false

    @OptionGroup var data: DataOptions

    func validate() throws {
        if (index == nil) == (image == nil) { throw ValidationError("pass exactly one of --index N and --image FILE") }
        if let index, index < 0 { throw ValidationError("--index must be zero or positive, got \(index)") }
        try checkOutputs([("--svg", svg)], inputs: [("--model", model.path), ("--image", image), ("--train", data.train), ("--test", data.test)])
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
            var picture = try Picture.read(path: image)
            caption = image
            if picture.width != width || picture.height != height {
                caption += " (\(picture.width)×\(picture.height), resized to \(width)×\(height))"
                picture = picture.resized(width: width, height: height)
            }
            if picture.isDarkOnLight {
                picture = picture.inverted()
                inverted = true
                caption += " (inverted: a dark digit on a light background; MNIST's are light on black)"
            }
            pixels = picture.pixels
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
}
