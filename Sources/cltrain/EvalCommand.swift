import ArgumentParser
import CLTrain
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on the test set: loss, accuracy and a confusion matrix."
    )

    @Option(help: ArgumentHelp("A checkpoint written by `cltrain train --save`.", valueName: "file"))
    var model: String

    @OptionGroup var device: DeviceOptions
    @OptionGroup var data: DataOptions

    func run() throws {
        let checkpoint = try Checkpoint.load(from: model)
        let loaded = try data.request.load()
        var plan = TrainingPlan()
        plan.architecture = checkpoint.parameters.architecture
        plan.normalization = checkpoint.normalization
        let compute = try device.open()
        let empty = Dataset(name: "none", images: [], labels: [])
        let backend = try compute.backend(plan: plan, train: empty, test: loaded.test)
        try backend.load(checkpoint.parameters, OptimizerState(fresh: plan.optimizer, parameterCount: plan.architecture.parameterCount))
        let evaluation = try backend.evaluate()
        let labels = loaded.test.labels
        print("Model:    \(model) (\(plan.architecture), epoch \(checkpoint.epoch))")
        print("Device:   \(backend)")
        print("Data:     \(loaded.test.count) test images from \(loaded.source)")
        print(String(format: "Loss:     %.4f", evaluation.loss))
        print(String(format: "Accuracy: %.4f (%d of %d)", evaluation.accuracy(labels: labels),
                     zip(evaluation.predictions, labels).filter { $0 == $1 }.count, labels.count))
        print("\nConfusion matrix (rows: true class, columns: predicted):")
        print(ConfusionTable.text(evaluation.confusion(labels: labels, classes: plan.architecture.classes)))
    }
}
