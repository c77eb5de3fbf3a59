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
    public static func layers(_ text: String) throws -> [any Layer] { try parse(text).map(\.layer) }

    /// One layer as the spec wrote it: the layer, and the input size that PyTorch's full spelling states
    /// (`nn.Linear(1176, 10)` states `in_features` 1176), which `Model` checks against the size it infers.
    public struct Item {
        public let layer: any Layer
        public let text: String
        public let statedInput: (argument: String, value: Int)?
    }

    /// The layers of `text` as written: a preset name, or a layer list in cltrain's spelling (`linear(10)`), PyTorch's
    /// lazy one (`Linear(10)`) or PyTorch's own, pasted from an `nn.Sequential` (`nn.Linear(1176, 10),` with the
    /// input size, a trailing comma, line breaks, even the `nn.Sequential(...)` around it). A kind's PyTorch class
    /// name is its name in any case, so the registry alone decides what parses.
    public static func parse(_ text: String) throws -> [Item] {
        // Pasted code breaks lines anywhere; as spaces they also keep every message on one line.
        var trimmed = text.components(separatedBy: .newlines).joined(separator: " ").replacingOccurrences(of: "\t", with: " ")
            .trimmingCharacters(in: .whitespaces)
        if let preset = presets.first(where: { $0.name == trimmed }) { return try parse(preset.spec) }
        guard !trimmed.isEmpty else { throw ModelSpecError("the model is empty; name a preset (\(presetNames)) or list layers") }
        for wrapper in ["torch.nn.Sequential(", "nn.Sequential("] where trimmed.hasPrefix(wrapper) && trimmed.hasSuffix(")") {
            trimmed = String(trimmed.dropFirst(wrapper.count).dropLast())
        }
        var items = try topLevel(trimmed, separator: ",")
        // Python allows a comma after the last element; pasted code often has one.
        if items.count > 1, items.last!.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { items.removeLast() }
        return try items.map { try item($0, alone: items.count == 1) }
    }

    public static var presetNames: String { presets.map(\.name).joined(separator: ", ") }

    /// One layer, `name` or `name(arguments)`; `alone` where it is the whole spec, so a preset may be what was meant.
    private static func item(_ item: String, alone: Bool) throws -> Item {
        let text = item.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ModelSpecError("expected a layer between two commas") }
        var name = text, inside: String?
        if let open = text.firstIndex(of: "(") {
            guard text.hasSuffix(")") else { throw ModelSpecError("expected ')' at the end of '\(text)'") }
            name = String(text[..<open]).trimmingCharacters(in: .whitespaces)
            inside = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        } else if text.contains(")") {
            throw ModelSpecError("unexpected ')' in '\(text)'")
        }
        // `nn.Conv2d(1, 6, 5)` is PyTorch's full spelling, which states the input size first.
        let pytorch = ["torch.nn.", "nn."].first { name.hasPrefix($0) }
        if let pytorch { name.removeFirst(pytorch.count) }
        guard let kind = LayerRegistry.kinds.first(where: { $0.name == name.lowercased() }) else {
            throw ModelSpecError("unknown layer '\(name)'" + suggestion(for: name, alone: alone)
                + "; expected one of \(LayerRegistry.kinds.map { $0.name }.sorted().joined(separator: ", ")), "
                + "or a preset (\(presetNames))")
        }
        var positional: [String] = [], named: [(name: String, value: String)] = []
        if let inside, !inside.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            for argument in try topLevel(inside, separator: ",") {
                // An empty argument (`linear(10,)`) or an empty side of `=` (`padding=`) is a typo.
                let parts = try topLevel(argument, separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                guard parts.allSatisfy({ !$0.isEmpty }) else { throw ModelSpecError("expected an argument in '\(text)'") }
                if parts.count == 2 {
                    if named.contains(where: { $0.name == parts[0] }) {
                        throw ModelSpecError("\(kind.name): \(parts[0]) is given twice in '\(text)'; give it once")
                    }
                    named.append((parts[0], parts[1]))
                } else if named.isEmpty {
                    positional.append(parts[0])
                } else {
                    throw ModelSpecError("'\(parts[0])' in '\(text)': a positional argument cannot follow a named one")
                }
            }
        }
        // `inplace` only saves PyTorch memory; the results are the same either way.
        named.removeAll { $0.name == "inplace" && ["True", "False"].contains($0.value) }
        var statedInput: (argument: String, value: Int)?
        if pytorch != nil, let argument = kind.inputArgument {
            let value: String
            if let index = named.firstIndex(where: { $0.name == argument }) {
                value = named.remove(at: index).value
            } else if !positional.isEmpty {
                value = positional.removeFirst()
            } else {
                throw ModelSpecError("nn.\(name) needs \(argument) first, as PyTorch does; without `nn.` it is inferred: \(name)(...)")
            }
            guard let size = Int(value), size > 0 else {
                throw ModelSpecError("nn.\(name): \(argument) must be a positive size, got '\(value)'")
            }
            statedInput = (argument, size)
        }
        do {
            let layer = try kind.init(LayerArguments(layer: kind.name, positional: positional, named: named))
            return Item(layer: layer, text: text, statedInput: statedInput)
        } catch let error as ModelSpecError where statedInput != nil {
            // `nn.Linear(10)` lost its only number to in_features: say where it went.
            throw ModelSpecError("\(error) (nn.\(name) states \(statedInput!.argument) first, as PyTorch does; "
                + "without `nn.` it is inferred: \(name)(...))")
        } catch let error as ModelSpecError where pytorch == nil && name != kind.name && kind.inputArgument != nil {
            // `Linear(1176, 10)`: PyTorch's class name, and perhaps its full arguments without the `nn.` that marks them.
            throw ModelSpecError("\(error) (\(name)(...) is the lazy form, without \(kind.inputArgument!); "
                + "PyTorch's full spelling is nn.\(name)(\(inside ?? "")))")
        }
    }

    /// " (did you mean 'relu'?)" for a near miss of a kind's or (where the name is the whole spec) a preset's name.
    private static func suggestion(for name: String, alone: Bool) -> String {
        let typed = name.lowercased()
        let candidates = LayerRegistry.kinds.map { $0.name } + (alone ? presets.map(\.name) : [])
        // A third of the name may be wrong (two letters of `maxpool`), or it may be a candidate's beginning (`conv`).
        let near = candidates.map { (name: $0, distance: editDistance(typed, $0)) }
            .filter { $0.distance <= max(1, typed.count / 3) || ($0.name.hasPrefix(typed) && typed.count >= 3) }
            .min { $0.distance < $1.distance }
        return near.map { " (did you mean '\($0.name)'?)" } ?? ""
    }

    /// Levenshtein's distance: the fewest insertions, deletions and substitutions that turn `a` into `b`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        // One row of the table at a time: previous[j] is the distance from a[..<i-1] to b[..<j].
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Deep enough for blocks inside blocks (each takes two levels with its layers' arguments).
    static let maximumNesting = 8

    /// One layer given as another's argument (a block's body): parsed as a spec's item is.
    static func layer(_ text: String) throws -> any Layer { try item(text, alone: false).layer }

    /// Splits at each `separator` outside parentheses (at most `maxSplits` times), so a kind's argument may itself be
    /// a layer or a list of them: `residual(conv2d(3, 3, padding=1), relu)`.
    static func topLevel(_ text: String, separator: Character, maxSplits: Int = .max) throws -> [String] {
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
            case separator where depth == 0 && items.count < maxSplits:
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

    /// Refuses a stated input size (`nn.Linear(1176, 10)`) that is not the size `model` infers there.
    static func checkStatedInputs(_ items: [Item], in model: Model) throws {
        for (index, item) in items.enumerated() {
            guard let stated = item.statedInput, let stage = model.stages.first(where: { $0.index == index }) else { continue }
            let inferred = stage.input.dimensions[0]
            guard stated.value == inferred else {
                throw ModelSpecError("\(item.text) (layer \(index)): \(stated.argument) is \(stated.value), but its input "
                    + "has \(inferred)\(stage.input.isFlat ? "" : " (\(stage.input))"); write \(inferred), or leave out `nn.` and the size to have it inferred")
            }
        }
    }
}
