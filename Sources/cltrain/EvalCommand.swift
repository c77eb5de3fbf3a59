import ArgumentParser
import CLTrain
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on the test set: loss, accuracy and a confusion matrix."
    )

    @OptionGroup var model: CheckpointArgument

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var device: DeviceOptions
    @OptionGroup var data: DataOptions

    func run() throws {
        let checkpoint = try Checkpoint.load(from: model.path)
        let loaded = try data.request(for: checkpoint, path: model.path).load()
        try checkpoint.checkFits(loaded, path: model.path)
        var plan = TrainingPlan()
        plan.model = checkpoint.model
        plan.normalization = checkpoint.normalization
        let compute = try device.open()
        let empty = Dataset(name: "none", images: [], labels: [], channels: loaded.test.channels, rows: loaded.test.rows,
                            columns: loaded.test.columns)
        let backend = try compute.backend(plan: plan, train: empty, test: loaded.test)
        try backend.load(checkpoint.parameters, OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount))
        let evaluation = try backend.evaluate()
        try checkFiniteOutputs([evaluation.loss], checkpoint: model.path, on: "the test set of \(loaded.source)")
        let labels = loaded.test.labels
        let names = checkpoint.classNames ?? loaded.kind.classNames(count: plan.model.classes)
        if json {
            print(try EvalReport(checkpoint: model.path, model: plan.model.spec, epoch: checkpoint.epoch,
                                 device: "\(backend)", data: loaded.source, evaluation: evaluation, labels: labels,
                                 classNames: names).reportJSON())
            return
        }
        print("Model:    \(model.path) (\(plan.model.spec), epoch \(checkpoint.epoch))")
        print("Device:   \(backend)")
        print("Data:     \(loaded.test.count) test images from \(loaded.source)")
        print(String(format: "Loss:     %.4f", evaluation.loss))
        print(String(format: "Accuracy: %.4f (%d of %d)", evaluation.accuracy(labels: labels),
                     zip(evaluation.predictions, labels).filter { $0 == $1 }.count, labels.count))
        print("\nConfusion matrix (rows: true class, columns: predicted):")
        print(ConfusionTable.text(evaluation.confusion(labels: labels, classes: plan.model.classes), classNames: names))
    }
}
