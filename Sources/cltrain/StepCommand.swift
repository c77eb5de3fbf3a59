import ArgumentParser
import CLTrain
import Foundation

/// `cltrain step`: the lesson's one-step view. The lesson prints a corner of the first layer's weights, its gradient
/// after `loss.backward()`, and the weights after `optimizer.step()`; this does the same on the chosen backend, then
/// checks the whole update against `W − lr·∇W`.
///
/// The gradient shown is the CPU reference's (`Reference.lossAndGradients` on the same batch and dropout masks), not
/// read back from the backend: backends keep gradients in device buffers that the training loop never copies, and a
/// gradient computed apart from the backend makes the check cover its forward, backward and update together.
struct StepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Run one training step and show a corner of the first layer's weights, gradient and update.",
        discussion: "The step trains on the first batch of the training set with the model's recipe (the lesson's: SGD "
            + "lr 0.003, batch 64), as `train` would start. For plain SGD (no weight decay, no Nesterov) every parameter "
            + "is then checked against W − lr·∇W, with ∇W from the CPU reference; a failed check exits 1.\n\n" + ModelOptions.syntax
    )

    @Option(parsing: .unconditional, help: "Learning rate. (default: the model's recipe)")
    var lr: Float?

    @Option(parsing: .unconditional, help: "Samples in the step. (default: the model's recipe)")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Seed for the initial weights and dropout's masks. (default: 0)")
    var seed: UInt64 = 0

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var device: DeviceOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        if let lr, !(lr.isFinite && lr > 0) { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let batchSize, !(1...65_536).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 65536, got \(batchSize)") }
    }

    func run() throws {
        let recipe = modelOptions.model.flatMap(ModelSpec.recipe) ?? ModelSpec.Recipe()
        var plan = TrainingPlan()
        plan.optimizer = recipe.optimizer
        plan.optimizer.learningRate = lr ?? recipe.optimizer.learningRate
        plan.seed = seed
        let loaded = try data.request.load()
        plan.batchSize = min(batchSize ?? recipe.batchSize, loaded.train.count)
        plan.model = try modelOptions.build(for: loaded, batchSize: plan.batchSize)
        if modelOptions.printSummary(plan.model) { return }
        guard let slot = plan.model.tensors.first else {
            throw CommandError("--model \(plan.model.spec) has no parameters, so a step changes nothing; add a linear or conv2d layer")
        }
        let compute = try device.open()
        let backend = try compute.backend(plan: plan, train: loaded.train, test: loaded.test)
        print("Device:    \(compute)")
        print("Model:     \(plan.model)")
        print("Optimizer: \(ModelSpec.Recipe(optimizer: plan.optimizer, batchSize: plan.batchSize).description)")

        var generator = SeededGenerator(seed: plan.seed)
        let before = Parameters(initializing: plan.model, using: &generator)
        try backend.load(before, OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount))
        try backend.beginEpoch(order: (0..<Int32(loaded.train.count)).map { $0 })
        try backend.trainStep(batch: 0, start: 0, count: plan.batchSize)
        let loss = try backend.losses(count: 1)[0]
        let (after, _) = try backend.snapshot()

        let pixels = loaded.train.pixelsPerImage, channels = plan.model.input.image?.channels ?? 1
        let x = (0..<plan.batchSize).flatMap {
            plan.normalization.apply(image: loaded.train.images[($0 * pixels)..<(($0 + 1) * pixels)], channels: channels)
        }
        let gradients = Reference.lossAndGradients(parameters: before, x: x, labels: Array(loaded.train.labels[..<plan.batchSize]),
                                                   pass: .training(seed: plan.seed, step: 1), loss: plan.loss).gradients
        print("Batch:     the first \(plan.batchSize) training images, loss \(String(format: "%.4f", loss))")

        let corner = Corner(slot: slot, gradients: gradients)
        print("\n\(slot.name) \(slot.shape), rows \(corner.rows.lowerBound)–\(corner.rows.upperBound - 1), "
            + "columns \(corner.columns.lowerBound)–\(corner.columns.upperBound - 1) (where row 0's gradient is largest):")
        print("Initial weights:\n" + corner.text(before.values))
        print("Gradient (after the backward pass, from the CPU reference):\n" + corner.text(gradients))
        print("Updated weights (after the \(plan.optimizer.kind) step on \(backend)):\n" + corner.text(after.values))

        let optimizer = plan.optimizer
        guard optimizer.kind == SGD.name, optimizer.weightDecay == 0, !optimizer.nesterov else {
            print("\nCheck:     skipped: W_new = W − lr·∇W is plain SGD's rule; \(ModelSpec.Recipe(optimizer: optimizer).settings) updates otherwise")
            return
        }
        // A first SGD step with momentum is plain SGD: the velocity starts as the gradient itself.
        let check = StepCheck(before: before, after: after, gradients: gradients, learningRate: optimizer.learningRate)
        let worst = check.worst, tensor = plan.model.tensors.first { $0.range.contains(worst.index) }!
        let figures = "worst at \(tensor.name)[\(worst.index - tensor.offset)]: \(worst.found) against \(worst.expected), "
            + "tolerance \(worst.tolerance)"
        guard check.holds else {
            throw CommandError("W_new = W − lr·∇W fails (\(figures)): the backend's step does not match the reference gradient")
        }
        print("\nCheck:     W_new = W − lr·∇W holds for all \(plan.model.parameterCount) parameters, lr \(optimizer.learningRate) (\(figures))")
    }
}

/// Three rows and five columns of a tensor seen as [rows, rest], where the gradient of row 0 is largest: the lesson's
/// corner at the first pixels would show only the zeros of MNIST's blank border.
private struct Corner {
    let slot: TensorSlot
    let rows: Range<Int>, columns: Range<Int>

    init(slot: TensorSlot, gradients: [Float]) {
        self.slot = slot
        let width = slot.count / slot.shape[0]
        let row = gradients[slot.offset..<(slot.offset + width)]
        let peak = row.indices.max { abs(row[$0]) < abs(row[$1]) }! - slot.offset
        let start = max(0, min(peak - 2, width - 5))
        (rows, columns) = (0..<min(3, slot.shape[0]), start..<min(start + 5, width))
    }

    func text(_ values: [Float]) -> String {
        let width = slot.count / slot.shape[0]
        return rows.map { row in
            "  " + columns.map { String(format: "% .6f", values[slot.offset + row * width + $0]) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
