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

    @Option(help: ArgumentHelp("Index of a test-set image.", valueName: "n"))
    var index: Int?

    @Option(help: ArgumentHelp("A 28×28 PGM image (P2 or P5).", valueName: "file"))
    var image: String?

    @Option(help: ArgumentHelp("Also draw the picture into this SVG file.", valueName: "file"))
    var svg: String?

    @OptionGroup var data: DataOptions

    func validate() throws {
        if (index == nil) == (image == nil) { throw ValidationError("pass exactly one of --index N and --image FILE") }
        if let index, index < 0 { throw ValidationError("--index must be zero or positive, got \(index)") }
        if let svg { try checkWritable(svg, option: "--svg") }
    }

    func run() throws {
        let checkpoint = try Checkpoint.load(from: model)
        let pixels: [UInt8]
        var caption: String
        let input = checkpoint.model.input
        let kindNames = data.request.kind.classNames
        let names = kindNames.count == checkpoint.model.classes ? kindNames : (0..<checkpoint.model.classes).map(String.init)
        if let image {
            guard input == .image(channels: 1, height: PGM.side, width: PGM.side) else {
                throw CommandError("\(model): the model takes \(input) images; --image reads 1×\(PGM.side)×\(PGM.side) PGM only")
            }
            pixels = try PGM.read(path: image)
            caption = image
        } else {
            let loaded = try data.request.load()
            try checkpoint.checkFits(loaded, path: model)
            let test = loaded.test
            let index = self.index!
            guard index < test.count else {
                throw CommandError("--index \(index) is past the end of the test set (\(test.count) images)")
            }
            pixels = Array(test.image(index))
            caption = "test image \(index), labelled \(names[Int(test.labels[index])])"
        }
        let prediction = Prediction(parameters: checkpoint.parameters, normalization: checkpoint.normalization, pixels: pixels)
        caption += ": predicted \(names[prediction.predictedClass])"
        print(caption)
        // A colour image is drawn by its first channel.
        let (width, plane) = (input.image?.width ?? 1, input.image.map { $0.height * $0.width } ?? input.count)
        let grey = Array(pixels.prefix(plane))
        print(DigitView.terminal(pixels: grey, width: width, probabilities: prediction.probabilities, classNames: names))
        if let svg {
            try writeAtomically(DigitView.svg(pixels: grey, width: width, probabilities: prediction.probabilities, classNames: names),
                                to: svg, option: "--svg")
        }
    }
}
