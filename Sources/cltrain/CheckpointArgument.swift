import ArgumentParser

/// The checkpoint `eval` and `predict` read: a positional argument (`cltrain eval m.safetensors`), or `--model`
/// as before.
struct CheckpointArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("A checkpoint written by `cltrain train --save`.", valueName: "checkpoint"))
    var positional: String?

    @Option(name: .customLong("model"), help: ArgumentHelp("The checkpoint, as an option.", valueName: "file"))
    var option: String?

    func validate() throws {
        if positional != nil && option != nil { throw ValidationError("--model repeats the checkpoint; pass it once") }
        if positional == nil && option == nil { throw ValidationError("name a checkpoint: cltrain eval FILE (or --model FILE)") }
    }

    var path: String { positional ?? option! }
}
