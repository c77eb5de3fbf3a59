import ArgumentParser

@main
struct CLTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cltrain",
        abstract: "Train a small neural network on MNIST or images of your own on any OpenCL device, or on the host with --cpu.",
        version: "cltrain 0.1.0",
        subcommands: [
            TrainCommand.self, EvalCommand.self, PredictCommand.self, BenchCommand.self,
            DevicesCommand.self, SelftestCommand.self, TuneCommand.self, DataCommand.self, FetchCommand.self,
            LayersCommand.self, StepCommand.self,
        ]
    )
}
