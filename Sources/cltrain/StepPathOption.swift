import ArgumentParser
import CLTrain

extension StepPath: ExpressibleByArgument {}

/// `--step-path`, for the commands that train (train, bench).
struct StepPathOption: ParsableArguments {
    @Option(help: ArgumentHelp("How each training step reaches an OpenCL device: queue (its launches one by one) or "
                               + "replay (recorded once in a command buffer and replayed as one command, where the device "
                               + "has cl_khr_command_buffer). Both train identically.", valueName: "queue|replay"))
    var stepPath: StepPath = .queue
}
