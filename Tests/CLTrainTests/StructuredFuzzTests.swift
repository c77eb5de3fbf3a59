import Foundation
import Testing
@testable import CLTrain

/// The input classes issue 19's defects came from, fuzzed by structure rather than by bytes (FuzzTests mutates
/// files): layer lists and their arguments, safetensors header encodings, training histories, and the figures
/// the memory limits are read from. Every case must end in a result or a one-line error: a trap or a hang ends
/// the test run. Replay a failure with `CLTRAIN_TEST_SEED=<seed>`.
@Suite struct StructuredFuzzTests {
    static let cases = 400
    let image = Shape.image(channels: 1, height: 28, width: 28)

    @Test func layerListsGetOneLineErrors() throws {
        let seed = freshSeed("layer lists")
        var generator = SeededGenerator(seed: seed)
        // PyTorch's spellings too (issue 23): `nn.` with the input size, the lazy class names, line breaks, nested calls.
        let names = ["linear", "relu", "dropout", "flatten", "conv2d", "maxpool2d", "lenet5", "", "linear ", "nn.Linear", "Conv2d",
                     "nn.Conv2d", "nn.ReLU", "torch.nn.", "nn.Sequential", "lenet", "\n nn.Flatten"]
        let arguments = ["", " ", "10", "0", "-1", "1048577", "0.5", "1e3", "x", "=", "=5", "padding=", "padding=1", "stride=2",
                         "out_features=10", "kernel_size=3", "p=0.2", "p=1", "(", ")", ",", "9223372036854775808",
                         "in_features=784", "in_channels=1", "inplace=True", "f(1, 2)", "\n", "a=(b=c)"]
        for _ in 0..<Self.cases {
            let layers = (0..<Int.random(in: 1...6, using: &generator)).map { _ -> String in
                let name = names.randomElement(using: &generator)!
                guard Bool.random(using: &generator) else { return name }
                let inside = (0..<Int.random(in: 0...4, using: &generator)).map { _ in arguments.randomElement(using: &generator)! }
                return name + "(" + inside.joined(separator: Bool.random(using: &generator) ? ", " : ",") + ")"
            }
            let spec = layers.joined(separator: [", ", ",", ",,", " , ", ",\n    "].randomElement(using: &generator)!)
            do {
                _ = try Model(spec, input: image, classes: 10)
            } catch let error as ModelSpecError {
                #expect(!error.description.isEmpty && !error.description.contains("\n"), "seed \(seed), '\(spec)': \(error)")
            }
        }
    }

    @Test func headerEncodingsGetOneLineErrors() throws {
        let seed = freshSeed("header encodings")
        var generator = SeededGenerator(seed: seed)
        let folder = try TemporaryFolder()
        let path = folder.file("m.safetensors")
        try sampleCheckpoint(mnistMLP([3]), seed: seed).save(to: path)
        let original = try FileBytes.contents(of: path)
        let headerLength = Int(original[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = String(decoding: original[8..<(8 + headerLength)], as: UTF8.self), data = Array(original[(8 + headerLength)...])
        // Spellings the JSON parser accepts but the format may not: marks and space before the object, numbers
        // as floats, exponents, negatives or past Int64, escapes, booleans.
        let prefixes = ["", "\u{FEFF}", " ", "\n", "\u{FEFF}\u{FEFF}", "\t"]
        let numbers: [(String) -> String] = [{ $0 }, { $0 + ".0" }, { $0 + "e0" }, { "-" + $0 }, { $0 + "0000000000000000000000" },
                                             { _ in "true" }, { _ in "null" }, { "\"" + $0 + "\"" }]
        for _ in 0..<Self.cases {
            var text = header
            // Rewrite one number of the header (a shape dimension or an offset) in another spelling.
            let digits = text.indices.filter { text[$0].isNumber && (text.index(before: $0) == text.startIndex || !text[text.index(before: $0)].isNumber) }
            if let start = digits.randomElement(using: &generator) {
                let end = text[start...].firstIndex { !$0.isNumber } ?? text.endIndex
                text.replaceSubrange(start..<end, with: numbers.randomElement(using: &generator)!(String(text[start..<end])))
            }
            if Bool.random(using: &generator) { text = text.replacingOccurrences(of: "\"dtype\"", with: "\"\\u0064type\"") }
            var json = Array((prefixes.randomElement(using: &generator)! + text).utf8)
            while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
            try Data(withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data).write(to: URL(fileURLWithPath: path))
            do { _ = try Checkpoint.load(from: path) } catch {
                let message = String(describing: error)
                #expect(message.hasPrefix(path) && !message.contains("\n"), "seed \(seed): \(message)")
            }
        }
    }

    @Test func historiesAlwaysPlot() {
        let seed = freshSeed("histories")
        var generator = SeededGenerator(seed: seed)
        let extremes: [Double] = [1e308, -1e308, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan,
                                  4.9e-324, -4.9e-324, 0, -0.0, 1, 1e-300, 1e300, 0.5]
        for _ in 0..<(Self.cases / 4) {
            let count = Int.random(in: 1...30, using: &generator)
            func value() -> Double {
                Bool.random(using: &generator) ? extremes.randomElement(using: &generator)! : Double.random(in: -1e6...1e6, using: &generator)
            }
            let history = (1...count).map { epoch in
                EpochMetrics(epoch: epoch, trainLoss: value(), testLoss: value(), testAccuracy: value(), seconds: 1, samplesPerSecond: 1)
            }
            let svg = MetricsPlot.svg(history)
            let bad = svg.split(separator: "\n").first { $0.lowercased().contains("nan") || $0.contains("inf") }
            #expect(bad == nil, "seed \(seed): \(bad ?? "")")
        }
    }

    @Test func memoryFiguresNeverTrap() throws {
        let seed = freshSeed("memory figures")
        var generator = SeededGenerator(seed: seed)
        let numbers = ["0", "1", "-1", "18446744073709551615", "18446744073709551616", "max", "", "abc", "9223372036854775807"]
        for _ in 0..<Self.cases {
            func number() -> String { numbers.randomElement(using: &generator)! }
            let sources = HostMemory.Sources(
                meminfo: "MemAvailable: \(number()) kB\n", status: "VmSize: \(number()) kB\nVmData: \(number()) kB\n",
                addressSpaceLimit: [nil, 0, 1, UInt64.max].randomElement(using: &generator)!,
                dataLimit: [nil, 0, 1 << 30, UInt64.max].randomElement(using: &generator)!,
                cgroups: [(number(), number()), (nil, number()), (number(), nil)])
            let limit = HostMemory.limit(sources)
            #expect(!limit.place.isEmpty)
        }
        // A long list of wide activations (a checkpoint may declare any) at the largest batch: 1e19 bytes, past
        // Int, so the estimate saturates rather than trapping.
        var plan = TrainingPlan()
        plan.model = try Model(String(repeating: "relu, ", count: 10_000) + "linear(1)", input: .flat(2_000_000_000))
        plan.batchSize = 65536
        let estimate = MemoryEstimate(plan: plan, train: randomDataset("x", count: 1, seed: seed), test: randomDataset("y", count: 1, seed: seed),
                                      native: true)
        #expect(estimate.totalBytes > 1 << 50)
        // An allocation that fails after the estimate passed (a limit it could not see) is an error, not a trap.
        #expect(throws: MemoryEstimateError.self) { try estimate.reserve() }
    }
}
