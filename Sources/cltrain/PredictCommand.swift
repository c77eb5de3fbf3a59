import ArgumentParser
import CLTrain
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Show a checkpoint's prediction for one image beside its class probabilities.",
        discussion: "The image is a test-set image (--index) or a 28×28 PGM file (--image) drawn as MNIST is: "
            + "a light digit on a dark background."
    )

    @Option(help: ArgumentHelp("A checkpoint written by `cltrain train --save`.", valueName: "file"))
    var model: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Index of a test-set image.", valueName: "n"))
    var index: Int?

    @Option(help: ArgumentHelp("A 28×28 PGM image (P2 or P5).", valueName: "file"))
    var image: String?

    @Option(help: ArgumentHelp("Also draw the picture into this SVG file.", valueName: "file"))
    var svg: String?

    @OptionGroup var data: DataOptions

    func validate() throws {
        if (index == nil) == (image == nil) { throw ValidationError("pass exactly one of --index N and --image FILE") }
        if let index, index < 0 { throw ValidationError("--index must be zero or positive, got \(index)") }
        try checkOutputs([("--svg", svg)], inputs: [("--model", model), ("--image", image), ("--train", data.train), ("--test", data.test)])
    }

    func run() throws {
        let checkpoint = try Checkpoint.load(from: model)
        let pixels: [UInt8]
        var caption: String
        if let image {
            pixels = try PGM.read(path: image)
            caption = image
        } else {
            let loaded = try data.request.load()
            try checkOutputs([("--svg", svg)], notAmong: loaded.files)
            let test = loaded.test
            let index = self.index!
            guard index < test.count else {
                throw CommandError("--index \(index) is past the end of the test set (\(test.count) images)")
            }
            pixels = Array(test.image(index))
            caption = "test image \(index), labelled \(data.request.kind.classNames[Int(test.labels[index])])"
        }
        let prediction = Prediction(parameters: checkpoint.parameters, normalization: checkpoint.normalization, pixels: pixels)
        let names = data.request.kind.classNames
        caption += ": predicted \(names[prediction.predictedClass])"
        print(caption)
        print(DigitView.terminal(pixels: pixels, probabilities: prediction.probabilities, classNames: names))
        if let svg {
            try writeAtomically(DigitView.svg(pixels: pixels, probabilities: prediction.probabilities, classNames: names),
                                to: svg, option: "--svg")
        }
    }
}
