import ArgumentParser
import CLTrain

/// `cltrain layers` (and `cltrain help layers`): everything a model spec and a recipe can name, from the registries.
struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "List the layer kinds, presets, optimizers, schedules and losses a run can name.",
        discussion: LayersCommand.text
    )

    static var text: String {
        let optimizers = OptimizerRegistry.kinds.map { "  \($0.name)\n      \($0.summary)" }
        let losses = LossRegistry.kinds.map { "  \($0.name)\n      \($0.summary)" }
        return ModelOptions.syntax + "\n" + helpText((["Optimizers (--optimizer):"] + optimizers
                + ["Schedules (--schedule, with --warmup STEPS): \(Schedule.syntax)", "Losses:"] + losses)
            .joined(separator: "\n"))
    }

    func run() {
        print(Self.text)
    }
}
