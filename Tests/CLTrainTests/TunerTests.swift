import CLKit
import Foundation
import Testing
@testable import CLTrain

/// The tuner on PoCL at a tiny model, with a narrowed candidate list so the suite stays quick, and its cache in a
/// temporary folder (never the user's).
@Suite(.serialized) struct TunerTests {
    static let candidates = [MatmulChoice(.vector(width: 4, blockRows: 2, blockColumns: 2, vectors: 1)),
                             MatmulChoice(.vector(width: 2, blockRows: 2, blockColumns: 2, vectors: 1), group: [8, 4]),
                             MatmulChoice(.tiled(tile: 8, depth: 8, blockRows: 2, blockColumns: 2))]

    static func plan() throws -> (TrainingPlan, Dataset, Dataset) {
        var generator = seededGenerator("tuner data")
        func data(_ name: String, _ count: Int) -> Dataset {
            randomImages(name, count: count, rows: 7, columns: 5, classes: 3, using: &generator)
        }
        var plan = TrainingPlan()
        plan.batchSize = 13
        plan.model = try Model("linear(11), relu, linear(3)", input: .image(channels: 1, height: 7, width: 5), classes: 3)
        return (plan, data("train", 40), data("test", 9))
    }

    @Test func tuningFindsEveryShapeAndKeepsOnlyCheckedWinners() throws {
        let (plan, train, test) = try Self.plan()
        let library = try KernelLibrary(context: testContext())
        let (tuning, outcomes, _) = try Tuner.run(library: library, plan: plan, train: train, test: test,
                                               seed: freshSeed("tuner"), candidates: Self.candidates)
        // Forward of both layers; the backward of both, the second's with its input gradient.
        #expect(Set(outcomes.map(\.shape)) == [
            MatmulShape(kernel: "matmul_forward", rows: 13, inputs: 35, outputs: 11),
            MatmulShape(kernel: "matmul_forward", rows: 13, inputs: 11, outputs: 3),
            MatmulShape(kernel: "matmul_backward", rows: 13, inputs: 35, outputs: 11),
            MatmulShape(kernel: "matmul_backward", rows: 13, inputs: 11, outputs: 3, inputGradient: true),
        ])
        for outcome in outcomes {
            #expect(outcome.timed == Self.candidates.count + 1, "\(outcome.shape): every candidate and the default timed")
            #expect(outcome.chosenSeconds <= outcome.defaultSeconds)
            #expect(tuning.choices[outcome.shape] == (outcome.chosen == MatmulChoice(library.configuration.matmul) ? nil : outcome.chosen))
        }
        // A library built with the winners runs them, and each passes its check again with fresh inputs.
        let tuned = try KernelLibrary(context: testContext(), tuning: tuning)
        #expect(tuned.tuning == tuning)
        var checks = KernelChecks(library: tuned, seed: freshSeed("tuned checks"))
        for shape in outcomes.map(\.shape) {
            let result = try checks.matmul(shape)
            #expect(result.passed, "\(shape): \(result.failures)")
        }
    }

    /// Winners timed alone face the defaults inside real steps (times injected here): one that loses there, or
    /// wins by less than the margin, gives way to the default in the tuning and in its outcome; one that wins
    /// clearly stays. Each round times the defaults and the winners once.
    @Test func winnersMustAlsoWinInsideRealSteps() throws {
        let own = MatmulChoice(.vector(width: 16, blockRows: 4, blockColumns: 4, vectors: 2))
        let shapes = (1...4).map { MatmulShape(kernel: "matmul_forward", rows: 64, inputs: $0, outputs: 10) }
        let untouched = MatmulShape(kernel: "matmul_backward", rows: 64, inputs: 9, outputs: 10, inputGradient: true)
        var tuning = Tuning(choices: Dictionary(uniqueKeysWithValues: shapes.map { ($0, Self.candidates[0]) }))
        var outcomes = (shapes + [untouched]).map {
            Tuner.Outcome(shape: $0, chosen: tuning.choices[$0] ?? own, defaultSeconds: 2e-5, chosenSeconds: 1e-5, timed: 4, rejected: [])
        }
        // In a step, a winner takes 0.5×, 0.97× (within the margin), 1× and 3× the default's time.
        let ratios = [shapes[0]: 0.5, shapes[1]: 0.97, shapes[2]: 1, shapes[3]: 3.0]
        var asked: [Tuning] = []
        try Tuner.confirmInSteps(&tuning, &outcomes, default: own) { tried in
            asked.append(tried)
            return Dictionary(uniqueKeysWithValues: (shapes + [untouched]).map { ($0, tried.choices[$0] == nil ? 1e-4 : 1e-4 * ratios[$0]!) })
        }
        #expect(asked.count == 2 * Tuner.stepRounds && asked.filter(\.choices.isEmpty).count == Tuner.stepRounds)
        #expect(tuning.choices == [shapes[0]: Self.candidates[0]])
        #expect(outcomes[0].chosen == Self.candidates[0] && outcomes[0].unconfirmed == nil)
        #expect(outcomes[0].inStep?.winnerSeconds == 0.5e-4 && outcomes[0].inStep?.defaultSeconds == 1e-4)
        for outcome in outcomes[1...3] {
            #expect(outcome.chosen == own && outcome.unconfirmed == "\(Self.candidates[0])")
            #expect(outcome.chosenSeconds == outcome.defaultSeconds && outcome.inStep != nil)
        }
        #expect(outcomes[4].inStep == nil && outcomes[4].unconfirmed == nil)
    }

    /// Real steps time every matmul shape a step launches, summed over its launches.
    @Test func stepTimesCoverEveryShapeOfTheStep() throws {
        let (plan, train, test) = try Self.plan()
        let library = try KernelLibrary(context: testContext())
        let shapes = try Tuner.shapes(library: library, plan: plan, train: train, test: test)
        let timer = Tuner.stepTimes(library: library,
                                    stepper: try KernelBenchmark.stepper(library: library, plan: plan, train: train, test: test))
        for tuning in [Tuning(choices: [shapes[0]: Self.candidates[1]]), Tuning()] {
            let times = try timer(tuning)
            #expect(Set(times.keys) == Set(shapes) && times.values.allSatisfy { $0 > 0 })
            #expect(library.tuning.choices[shapes[0]] == tuning.choices[shapes[0]])
        }
    }

    /// A configuration that is fast because it is wrong (it writes one element and stops) must lose to the check.
    @Test func aFastWrongConfigurationIsRejected() throws {
        let (plan, train, test) = try Self.plan()
        var sources = Kernels.sources
        let entry = "    const int o0 = get_global_id(0) * BN, n0 = get_global_id(1) * BM;\n"
        let broken = try #require(sources["matmul_vector"]?.replacingOccurrences(
            of: entry, with: entry + "#if VW == 2\n    if (o0 == 0 && n0 == 0) y[0] = 0.0f;\n    return;\n#endif\n"))
        #expect(broken != sources["matmul_vector"])
        sources["matmul_vector"] = broken
        let library = try KernelLibrary(context: testContext(), sources: sources)
        let wrong = MatmulChoice(.vector(width: 2, blockRows: 1, blockColumns: 1, vectors: 1))
        let (tuning, outcomes, _) = try Tuner.run(library: library, plan: plan, train: train, test: test,
                                               seed: freshSeed("wrong"), candidates: [wrong])
        let forward = outcomes.filter { $0.shape.kernel == "matmul_forward" }
        #expect(forward.count == 2)
        for outcome in forward {
            #expect(outcome.chosen != wrong)
            // It was timed; it was checked only if it beat the default clearly, and then it failed.
            #expect(outcome.rejected.allSatisfy { $0 == "\(wrong)" })
        }
        #expect(!tuning.choices.filter { $0.key.kernel == "matmul_forward" }.values.contains(wrong))
    }

    static func device() throws -> Device { try testContext().device }

    @Test func cacheRoundTripsAndMergesModels() throws {
        let folder = try TemporaryFolder()
        let cache = TuningCache(directory: folder.path + "/tuning")
        let key = TuningCache.key(device: try Self.device(), configuration: .cpu, sources: Kernels.sources)
        #expect(cache.tuning(forKey: key) == nil)
        let first = Tuning(choices: [MatmulShape(kernel: "matmul_forward", rows: 64, inputs: 784, outputs: 128): Self.candidates[1]])
        let second = Tuning(choices: [MatmulShape(kernel: "matmul_backward", rows: 64, inputs: 9, outputs: 6): Self.candidates[2]])
        try cache.store(first, tuned: Array(first.choices.keys), forKey: key)
        #expect(cache.tuning(forKey: key) == first)
        try cache.store(second, tuned: Array(second.choices.keys), forKey: key)
        #expect(cache.tuning(forKey: key)?.choices.count == 2)
        // Tuned again, the first shape's default won: its old winner goes.
        try cache.store(Tuning(), tuned: Array(first.choices.keys), forKey: key)
        #expect(cache.tuning(forKey: key) == second)
        // Another build of the kernels is another key: nothing cached for it.
        var edited = Kernels.sources
        edited["relu"] = (edited["relu"] ?? "") + "\n"
        #expect(cache.tuning(forKey: TuningCache.key(device: try Self.device(), configuration: .cpu, sources: edited)) == nil)
        #expect(RunTuning.load(device: try Self.device(), enabled: false, cache: cache).tuning.isEmpty)
    }

    @Test(arguments: [
        "not json at all",
        "{\"format\": \"cltrain tuning 1\", \"key\": \"someone else\", \"entries\": []}",
        // a tile of 0 would divide by zero in the launcher
        "{\"format\": \"cltrain tuning 1\", \"key\": \"KEY\", \"entries\": [{\"shape\": {\"kernel\": \"matmul_forward\", "
            + "\"rows\": 1, \"inputs\": 1, \"outputs\": 1}, \"choice\": {\"matmul\": {\"tiled\": {\"tile\": 0, \"depth\": 8, "
            + "\"blockRows\": 1, \"blockColumns\": 1}}}}]}",
        "{\"format\": \"cltrain tuning 1\", \"key\": \"KEY\", \"entries\": [{\"shape\": {\"kernel\": \"rm -rf\", "
            + "\"rows\": 1, \"inputs\": 1, \"outputs\": 1}, \"choice\": {\"matmul\": {\"vector\": {\"width\": 4, \"blockRows\": 1, "
            + "\"blockColumns\": 1, \"vectors\": 1}}}}]}",
    ])
    func damagedCacheIsIgnored(_ text: String) throws {
        let folder = try TemporaryFolder()
        let cache = TuningCache(directory: folder.path)
        let key = TuningCache.key(device: try Self.device(), configuration: .cpu, sources: Kernels.sources)
        try Data(text.replacingOccurrences(of: "KEY", with: key.replacingOccurrences(of: "\t", with: "\\t")).utf8)
            .write(to: URL(fileURLWithPath: cache.path(forKey: key)))
        #expect(cache.tuning(forKey: key) == nil)
        let device = try Self.device(), summary = RunTuning.load(device: device, enabled: true, cache: cache).summary
        // The hint to tune appears only where tuning pays: not on a CPU device such as PoCL's.
        #expect(summary.hasPrefix("defaults") && summary.contains("see cltrain tune") == (device.kind != .cpu), "\(summary)")
    }

    /// The same file with a plausible entry is read, so the damaged cases above fail for their damage alone.
    @Test func wellFormedCacheFileIsRead() throws {
        let folder = try TemporaryFolder()
        let cache = TuningCache(directory: folder.path)
        let device = try Self.device()
        let key = TuningCache.key(device: device, configuration: .choose(for: device), sources: Kernels.sources)
        let text = "{\"format\": \"cltrain tuning 1\", \"key\": \"KEY\", \"entries\": [{\"shape\": {\"kernel\": \"matmul_forward\", "
            + "\"rows\": 1, \"inputs\": 1, \"outputs\": 1}, \"choice\": {\"matmul\": {\"vector\": {\"width\": 4, \"blockRows\": 1, "
            + "\"blockColumns\": 1, \"vectors\": 1}}}}]}"
        try Data(text.replacingOccurrences(of: "KEY", with: key.replacingOccurrences(of: "\t", with: "\\t")).utf8)
            .write(to: URL(fileURLWithPath: cache.path(forKey: key)))
        #expect(cache.tuning(forKey: key)?.choices.count == 1)
        #expect(RunTuning.load(device: device, enabled: true, cache: cache).summary.hasPrefix("cached (1 shapes"))
    }

    /// Evaluation runs the training layers on more rows: it takes the configuration tuned at the nearest rows.
    @Test func untunedRowsTakeTheNearestTunedShape() {
        let near = MatmulChoice(.vector(width: 4, blockRows: 2, blockColumns: 2, vectors: 1))
        let far = MatmulChoice(.vector(width: 8, blockRows: 2, blockColumns: 2, vectors: 1))
        let tuning = Tuning(choices: [MatmulShape(kernel: "matmul_forward", rows: 64, inputs: 784, outputs: 128): near,
                                      MatmulShape(kernel: "matmul_forward", rows: 8, inputs: 784, outputs: 128): far])
        #expect(tuning.choice(for: MatmulShape(kernel: "matmul_forward", rows: 1024, inputs: 784, outputs: 128)) == near)
        #expect(tuning.choice(for: MatmulShape(kernel: "matmul_forward", rows: 9, inputs: 784, outputs: 128)) == far)
        #expect(tuning.choice(for: MatmulShape(kernel: "matmul_backward", rows: 64, inputs: 784, outputs: 128)) == nil)
        // A backward launch with dX is other work than one without: it never takes the other's winner.
        let backward = MatmulShape(kernel: "matmul_backward", rows: 64, inputs: 784, outputs: 128)
        let withInput = Tuning(choices: [backward: near])
        #expect(withInput.choice(for: MatmulShape(kernel: "matmul_backward", rows: 32, inputs: 784, outputs: 128)) == near)
        #expect(withInput.choice(for: MatmulShape(kernel: "matmul_backward", rows: 32, inputs: 784, outputs: 128,
                                                  inputGradient: true)) == nil)
    }
}
