import Foundation

/// Parses a model spec: a preset name, or layers separated by commas in PyTorch-like syntax,
/// `flatten, linear(256), relu, dropout(0.2), linear(10)`. Input sizes are inferred from the data.
public enum ModelSpec {
    /// Named models, each with the recipe it was made for: the lesson's network, the classifier of the lesson that
    /// follows it ("Inference and validation") with dropout between its layers, LeCun's LeNet-5 as PyTorch's
    /// tutorials build it (the recipe the anchors train it with), and a ResNet-8: a batch-normalized stem and three
    /// residual blocks of 16, 32 and 64 channels (the last two halve the image), global average pooling and a
    /// linear classifier, with the recipe ResNets train with (SGD, Nesterov momentum, weight decay, cosine).
    public static let presets: [(name: String, spec: String, recipe: Recipe)] = [
        ("lesson", "linear(128), relu, linear(64), relu, linear(10)", Recipe()),
        ("dropout", "flatten, linear(256), relu, dropout(0.2), linear(128), relu, dropout(0.2), linear(64), relu, "
            + "dropout(0.2), linear(10)", Recipe(optimizer: OptimizerConfig(kind: Adam.name, learningRate: 0.003))),
        ("lenet5", "conv2d(6, 5, padding=2), relu, maxpool2d(2), conv2d(16, 5), relu, maxpool2d(2), flatten, linear(120), relu, "
            + "linear(84), relu, linear(10)", Recipe(optimizer: OptimizerConfig(learningRate: 0.01, momentum: 0.9))),
        ("resnet8", "conv2d(16, 3, padding=1, bias=false), batchnorm2d, relu, " + resnetBlock(16, stride: 1) + ", relu, "
            + resnetBlock(32, stride: 2) + ", relu, " + resnetBlock(64, stride: 2) + ", relu, adaptiveavgpool2d(1), flatten, linear(10)",
         Recipe(optimizer: OptimizerConfig(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true), batchSize: 128,
                schedule: Schedule(.cosine))),
    ]

    /// torchvision's BasicBlock body: two 3×3 convolutions with batch norms, the first at `stride`.
    private static func resnetBlock(_ channels: Int, stride: Int) -> String {
        "residual(conv2d(\(channels), 3\(stride == 1 ? "" : ", stride=\(stride)"), padding=1, bias=false), batchnorm2d, relu, "
            + "conv2d(\(channels), 3, padding=1, bias=false), batchnorm2d)"
    }

    /// The training settings a preset was made for: what `train --model NAME` uses unless an option says otherwise.
    public struct Recipe: Equatable, Sendable {
        public var optimizer: OptimizerConfig
        public var batchSize: Int
        public var schedule: Schedule

        public init(optimizer: OptimizerConfig = .lesson, batchSize: Int = 64, schedule: Schedule = .constant) {
            (self.optimizer, self.batchSize, self.schedule) = (optimizer, batchSize, schedule)
        }

        /// The optimizer and its schedule, e.g. "sgd lr 0.05 momentum 0.9 nesterov, cosine schedule, warm-up 5 steps":
        /// the run header's `Optimizer:` line and the presets' help say it the same way.
        public var settings: String {
            var text = "\(optimizer.kind) lr \(optimizer.learningRate)"
            if optimizer.momentum != 0 { text += " momentum \(optimizer.momentum)\(optimizer.nesterov ? " nesterov" : "")" }
            if optimizer.weightDecay != 0 { text += " weight decay \(optimizer.weightDecay)" }
            if schedule != .constant { text += ", \(schedule) schedule" }
            if schedule.warmup > 0 { text += ", warm-up \(schedule.warmup) steps" }
            return text
        }

        /// e.g. "sgd lr 0.01 momentum 0.9, batch 64".
        public var description: String { settings + ", batch \(batchSize)" }
    }

    /// The recipe of `text` where it names a preset.
    public static func recipe(_ text: String) -> Recipe? {
        presets.first { $0.name == text.trimmingCharacters(in: .whitespaces) }?.recipe
    }

    /// A plain MLP: `hidden` widths with ReLU between, then `classes` outputs (`--hidden 128,64`).
    public static func mlp(hidden: [Int], classes: Int) -> String {
        (hidden.flatMap { ["linear(\($0))", "relu"] } + ["linear(\(classes))"]).joined(separator: ", ")
    }

    /// The layers of `text`, a preset name or a layer list.
    public static func layers(_ text: String) throws -> [any Layer] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let preset = presets.first(where: { $0.name == trimmed }) { return try layers(preset.spec) }
        guard !trimmed.isEmpty else { throw ModelSpecError("the model is empty; name a preset (\(presetNames)) or list layers") }
        return try splitTopLevel(trimmed).map(layer)
    }

    public static var presetNames: String { presets.map(\.name).joined(separator: ", ") }

    /// One layer, `name` or `name(arguments)`; an argument may itself be a layer (`residual(conv2d(8, 3), relu)`).
    static func layer(_ item: String) throws -> any Layer {
        let text = item.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw ModelSpecError("expected a layer between two commas") }
        var name = text, inside: String?
        if let open = text.firstIndex(of: "(") {
            guard text.hasSuffix(")") else { throw ModelSpecError("expected ')' at the end of '\(text)'") }
            name = String(text[..<open]).trimmingCharacters(in: .whitespaces)
            inside = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        } else if text.contains(")") {
            throw ModelSpecError("unexpected ')' in '\(text)'")
        }
        guard let kind = LayerRegistry.kinds.first(where: { $0.name == name }) else {
            let known = LayerRegistry.kinds.map { $0.name }.sorted().joined(separator: ", ")
            throw ModelSpecError("unknown layer '\(name)': expected one of \(known), or a preset (\(presetNames))")
        }
        var positional: [String] = [], named: [(String, String)] = []
        if let inside, !inside.trimmingCharacters(in: .whitespaces).isEmpty {
            for argument in try splitTopLevel(inside) {
                // `split` drops an empty argument (`linear(10,)`) to no parts at all, and `=5` to one. An `=` inside
                // parentheses belongs to a layer given as an argument.
                let equals = argument.firstIndex(of: "="), open = argument.firstIndex(of: "(")
                let parts = equals == nil || (open.map { $0 < equals! } ?? false)
                    ? [argument.trimmingCharacters(in: .whitespaces)]
                    : argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                        .map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.allSatisfy({ !$0.isEmpty }) else { throw ModelSpecError("expected an argument in '\(text)'") }
                if parts.count == 2 {
                    if named.contains(where: { $0.0 == parts[0] }) {
                        throw ModelSpecError("\(name): \(parts[0]) is given twice in '\(text)'; give it once")
                    }
                    named.append((parts[0], parts[1]))
                } else if named.isEmpty {
                    positional.append(parts[0])
                } else {
                    throw ModelSpecError("'\(parts[0])' in '\(text)': a positional argument cannot follow a named one")
                }
            }
        }
        return try kind.init(LayerArguments(layer: name, positional: positional,
                                            named: named.map { (name: $0.0, value: $0.1) }))
    }

    /// Deep enough for blocks inside blocks (each takes two levels with its layers' arguments).
    static let maximumNesting = 8

    /// Splits at the commas outside parentheses (a layer's arguments, and the layers inside a block's).
    private static func splitTopLevel(_ text: String) throws -> [String] {
        var items: [String] = [], current = "", depth = 0
        for character in text {
            switch character {
            case "(":
                depth += 1
                // Each level is a recursion of the parser: a hostile spec nested thousands deep would exhaust the stack.
                if depth > maximumNesting { throw ModelSpecError("parentheses nest more than \(maximumNesting) deep in '\(text.prefix(40))…'") }
            case ")":
                depth -= 1
                if depth < 0 { throw ModelSpecError("unexpected ')' after '\(current.trimmingCharacters(in: .whitespaces))'") }
            case "," where depth == 0:
                items.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        guard depth == 0 else { throw ModelSpecError("expected ')' at the end of '\(current.trimmingCharacters(in: .whitespaces))'") }
        return items + [current]
    }
}
