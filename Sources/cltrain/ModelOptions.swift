import ArgumentParser
import CLTrain
import Foundation

/// `--model` and its shorthand `--hidden`, shared by `train` and `bench`.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A preset or a layer list (see below). (default: lesson)", valueName: "spec"))
    var model: String?

    @Option(help: ArgumentHelp("Shorthand for a plain MLP: hidden widths, comma-separated, with ReLU between "
                               + "(128,64 is the lesson).", valueName: "widths"))
    var hidden: String?

    @Flag(help: "Print the model's layers with their output shapes and parameter counts, then stop.")
    var summary = false

    /// The layer kinds and presets, from the registries the parser uses.
    static let syntax: String = {
        let layers = LayerRegistry.kinds.map { "  \($0.syntax)\n      \($0.summary)" }
        let presets = ModelSpec.presets.map { "  \($0.name) (\($0.recipe.description))\n      \($0.spec)" }
        return helpText((["--model takes a preset or a comma-separated layer list in PyTorch's terms; input sizes are inferred "
                 + "from the data and log-softmax + NLL follows the last layer. Layers:"] + layers + ["Presets, each trained with its recipe unless an option says otherwise:"] + presets
                + ["Example: --model \"flatten, linear(256), relu, dropout(0.2), linear(10)\"",
                   "PyTorch's spellings work as pasted, with the input sizes checked: nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), "
                   + "nn.Flatten(), nn.Linear(4704, 10); and without them, as its lazy layers: Conv2d(6, 5, padding=2), Linear(10)."])
            .joined(separator: "\n"))
    }()

    var isSet: Bool { model != nil || hidden != nil }

    /// Prints `model`'s summary where `--summary` asks for it; true then, and the command stops.
    func printSummary(_ model: Model) -> Bool {
        if summary { print(ModelSummary.lines(model).joined(separator: "\n")) }
        return summary
    }

    func validate() throws {
        if model != nil && hidden != nil { throw ValidationError("--model and --hidden both name the model; pass one") }
        if let model {
            do { _ = try ModelSpec.layers(model) } catch let error as ModelSpecError { throw ValidationError("--model: \(error)") }
        }
        _ = try hiddenWidths()
    }

    private func hiddenWidths() throws -> [Int]? {
        guard let hidden else { return nil }
        let widths = hidden.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !hidden.isEmpty, widths.allSatisfy({ $0 != nil && (1...1_048_576).contains($0!) }) else {
            throw ValidationError("--hidden must be comma-separated widths between 1 and 1048576, e.g. 128,64; got '\(hidden)'")
        }
        return widths.map { $0! }
    }

    /// The model the options name, fitted to the data; refused before anything is allocated if it does not fit,
    /// or if a batch of its activations would overflow the kernels' 32-bit indices.
    /// `fallback` is the model when neither option names one (`--init`'s checkpoint's), with the words that name it.
    func build(for data: LoadedData, batchSize: Int, fallback: (spec: String, source: String)? = nil) throws -> Model {
        let option = hidden != nil ? "--hidden" : model != nil ? "--model" : fallback?.source ?? "--model"
        let spec = try hiddenWidths().map { ModelSpec.mlp(hidden: $0, classes: data.train.classes) } ?? model ?? fallback?.spec ?? "lesson"
        let built: Model
        do {
            built = try Model(spec, input: data.train.shape, classes: data.train.classes)
        } catch let error as ModelSpecError {
            throw CommandError("\(option) does not fit \(data.name) (\(data.train.shape) images, "
                + "\(data.train.classes) classes): \(error)")
        }
        guard batchSize * built.activationSizes.max()! < Int(Int32.max) else {
            throw CommandError("--batch-size \(batchSize) with this \(option) makes activations of more than 2^31 values; "
                + "use smaller ones")
        }
        built.cautions.forEach { warn("\(option): \($0)") }
        return built
    }
}
