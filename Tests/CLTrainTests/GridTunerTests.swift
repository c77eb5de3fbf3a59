import CLKit
import Foundation
import Testing
@testable import CLTrain

/// Tuning of the convolution and pooling launches on PoCL, at a tiny convnet, with step times injected where a test
/// needs a winner (real times on two shared cores are noise at these sizes).
@Suite(.serialized) struct GridTunerTests {
    /// Two convolutions, a max and an average pooling, on 9×11 images in batches of 5.
    static func plan() throws -> (TrainingPlan, Dataset, Dataset) {
        var plan = TrainingPlan()
        plan.batchSize = 5
        plan.model = try Model("conv2d(3, 3, padding=1), relu, maxpool2d(2), conv2d(4, 3), relu, avgpool2d(2), flatten, linear(3)",
                               input: .image(channels: 1, height: 9, width: 11), classes: 3)
        var generator = seededGenerator("grid tuner data")
        let train = randomImages("train", count: 12, rows: 9, columns: 11, classes: 3, using: &generator)
        return (plan, train, randomImages("test", count: 5, rows: 9, columns: 11, classes: 3, using: &generator))
    }

    static func stepper(_ library: KernelLibrary) throws -> (backend: OpenCLBackend, rows: Int) {
        let (plan, train, test) = try plan()
        return try KernelBenchmark.stepper(library: library, plan: plan, train: train, test: test)
    }

    @Test func groupsFillTheGridFromItsFirstDimension() {
        #expect(GridChoice.groups(for: [2, 28, 384], maxWorkGroupSize: 256)
            == [[1, 1, 1], [2, 2, 1], [2, 8, 1], [2, 32, 1], [2, 32, 4]])
        #expect(GridChoice.groups(for: [4096], maxWorkGroupSize: 1024) == [[1], [4], [16], [64], [256]])
        // The device's limit, and a grid smaller than a group, cut the list.
        #expect(GridChoice.groups(for: [4096], maxWorkGroupSize: 4) == [[1], [4]])
        #expect(GridChoice.groups(for: [3, 1, 2], maxWorkGroupSize: 256) == [[1, 1, 1], [4, 1, 1]])
        // A device's limit along a dimension (NVIDIA's 64 along the third) cuts the groups along it.
        #expect(GridChoice.groups(for: [1, 2, 512], maxWorkGroupSize: 1024, dimensionLimits: [1024, 1024, 64])
            == [[1, 1, 1], [1, 2, 2], [1, 2, 8], [1, 2, 32]])
    }

    /// One step's grid launches: both convolutions' three kernels (the first without an input gradient), both
    /// poolings' two; every candidate is a build of the kernel in a group that fits it, or sliced where it can be.
    @Test func everyGridLaunchOfTheStepIsFound() throws {
        let library = try KernelLibrary(context: testContext())
        let launches = try Tuner.gridLaunches(of: Self.stepper(library), library: library)
        #expect(launches.map(\.shape.kernel) == ["conv2d_forward", "maxpool2d_forward", "conv2d_forward", "avgpool2d_forward",
                                                 "avgpool2d_backward", "conv2d_backward_weight", "conv2d_backward_input",
                                                 "maxpool2d_backward", "conv2d_backward_weight"])
        #expect(launches[0].shape.sizes == [5, 1, 9, 11, 3, 1, 1, 9, 11, 3])
        for launch in launches {
            let candidates = Tuner.gridCandidates(library: library, shape: launch.shape, own: launch.choice, global: launch.global,
                                                  ownGroup: launch.local, slices: launch.slices)
            #expect(candidates.first == launch.choice && Set(candidates).count == candidates.count)
            // The launcher's own build in its own group is timed once, as its own choice.
            #expect(!candidates.dropFirst().contains(GridChoice(variant: launch.choice.variant, group: launch.local)))
            #expect(Set(candidates.map(\.variant)) == Set(0..<library.variantCount(launch.shape.kernel)))
            // The small-grid path, where the launch has room for it: the weight gradients' at batch 5, 4 slices.
            #expect(Set(candidates.compactMap(\.slices)) == (launch.shape.kernel == "conv2d_backward_weight" ? [2, 4] : []))
            for choice in candidates { #expect((try? library.checkFits(choice, kernel: launch.shape.kernel)) != nil) }
        }
    }

    /// Every build in every group the tuner may choose computes what the twin does: a forced choice passes its
    /// kind's checks, at the checks' odd sizes.
    @Test func everyCandidatePassesItsKindsChecks() throws {
        let library = try KernelLibrary(context: testContext())
        var checks = KernelChecks(library: library, seed: freshSeed("grid candidates"), small: true)
        let launches = try Tuner.gridLaunches(of: Self.stepper(library), library: library)
        var seen = Set<String>()
        for launch in launches where seen.insert(launch.shape.kernel).inserted {
            for choice in Tuner.gridCandidates(library: library, shape: launch.shape, own: launch.choice, global: launch.global,
                                               ownGroup: launch.local, slices: launch.slices) {
                let results = try checks.forcing(choice, on: launch.shape.kernel)
                #expect(!results.isEmpty && results.allSatisfy(\.passed), "\(launch.shape.kernel) \(choice)")
            }
        }
    }

    /// With times injected: a candidate that wins its round and the alternated steps is kept; one that wins its
    /// round only, or by less than the margin, gives way to the launcher's own; each outcome holds both times.
    @Test func winnersMustWinTheirRoundAndTheAlternatedSteps() throws {
        let library = try KernelLibrary(context: testContext())
        let stepper = try Self.stepper(library)
        let launches = try Tuner.gridLaunches(of: stepper, library: library)
        let own = Dictionary(uniqueKeysWithValues: launches.map { ($0.shape, $0.choice) })
        // Each shape's first challenger is the one that runs fast, where it does.
        let fast = Dictionary(uniqueKeysWithValues: launches.map { launch in
            (launch.shape, Tuner.gridCandidates(library: library, shape: launch.shape, own: launch.choice, global: launch.global,
                                                ownGroup: launch.local, slices: launch.slices)[1])
        })
        var confirming = false
        let timer: Tuner.GridStepTimes = { tried in
            // The alternated rounds begin with the defaults: no choices.
            if tried.isEmpty { confirming = true }
            return Dictionary(uniqueKeysWithValues: launches.map { launch in
                let shape = launch.shape, choice = tried[shape] ?? own[shape]!
                guard choice == fast[shape] else { return (shape, 1e-4) }
                switch shape.kernel {
                case "conv2d_forward": return (shape, 0.5e-4)                     // wins everywhere
                case "maxpool2d_forward": return (shape, confirming ? 1e-4 : 0.5e-4)  // wins its round only
                case "conv2d_backward_input": return (shape, 0.97e-4)              // within the margin
                default: return (shape, 2e-4)
                }
            })
        }
        let (grids, outcomes) = try Tuner.tuneGrids(library: library, stepper: stepper, seed: freshSeed("grid winners"),
                                                   stepTimes: timer, smallChecks: true, progress: { _, _ in })
        #expect(Set(grids.keys.map(\.kernel)) == ["conv2d_forward"] && grids.allSatisfy { $0.value == fast[$0.key] })
        #expect(library.tuning.grids == grids)
        for outcome in outcomes {
            #expect(outcome.ownSeconds == 1e-4 && outcome.timed > 1)
            switch outcome.shape.kernel {
            case "conv2d_forward":
                #expect(outcome.chosen == fast[outcome.shape] && outcome.inStep?.winnerSeconds == 0.5e-4 && outcome.unconfirmed == nil)
            case "maxpool2d_forward":
                #expect(outcome.chosen == outcome.ownChoice && outcome.unconfirmed == fast[outcome.shape].map { "\($0)" })
                #expect(outcome.inStep?.winnerSeconds == 1e-4 && outcome.inStep?.defaultSeconds == 1e-4)
            default:
                #expect(outcome.chosen == outcome.ownChoice && outcome.inStep == nil)
            }
        }
        let text = TuneReport(device: "d", model: "m", seed: 1, cache: "c", seconds: 1, outcomes: [], gridOutcomes: outcomes,
                              timing: .profiling).text()
        #expect(text.contains("confirmed: 50.0 µs against 100.0 µs") && text.contains("won its round but"))
    }

    /// A build that is fast because it is wrong (it returns at once) fails its kind's checks and is never kept.
    @Test func aFastWrongBuildIsRejected() throws {
        var sources = Kernels.sources
        let entry = "    const int blocks = (out_channels + CB - 1) / CB, pixels = out_height * out_width;\n"
        // The widest build returns at once.
        let widest = Conv2d.blockings.count - 1
        let broken = try #require(sources["conv2d"]?.replacingOccurrences(
            of: entry, with: entry + "#if CB == \(Conv2d.blockings[widest].channels)\n    return;\n#endif\n"))
        #expect(broken != sources["conv2d"])
        sources["conv2d"] = broken
        let library = try KernelLibrary(context: testContext(), sources: sources)
        let wrong = GridChoice(variant: widest)
        let timer: Tuner.GridStepTimes = { tried in
            tried.mapValues { $0 == wrong ? 1e-6 : 1e-4 }
        }
        let (grids, outcomes) = try Tuner.tuneGrids(library: library, stepper: Self.stepper(library), seed: freshSeed("wrong build"),
                                                   stepTimes: timer, smallChecks: true, progress: { _, _ in })
        let forward = outcomes.filter { $0.shape.kernel == "conv2d_forward" }
        #expect(forward.count == 2)
        for outcome in forward {
            #expect(outcome.fastest == wrong && outcome.rejected.first == "\(wrong)" && outcome.chosen != wrong)
        }
        #expect(!grids.contains { $0.key.kernel == "conv2d_forward" && $0.value == wrong })
    }

    /// Grid winners go to the cache beside the matmul winners and come back; a library drops a choice its kernels
    /// cannot run (no such build, a group past the device's limit); files from before grids were tuned still read.
    @Test func gridChoicesRoundTripThroughTheCache() throws {
        let folder = try TemporaryFolder()
        let cache = TuningCache(directory: folder.path)
        let context = try testContext()
        let key = TuningCache.key(device: context.device, configuration: .choose(for: context.device), sources: Kernels.sources)
        let shape = GridShape(kernel: "conv2d_forward", sizes: [5, 1, 9, 11, 3, 1, 1, 9, 11, 3])
        let pool = GridShape(kernel: "maxpool2d_backward", sizes: [15, 9, 11, 2, 2, 4, 5])
        let tuning = Tuning(grids: [shape: GridChoice(variant: 1, group: [2, 4, 1]), pool: GridChoice(variant: 0, group: [4, 1, 1])])
        try cache.store(tuning, tuned: [], grids: [shape, pool], forKey: key)
        #expect(cache.tuning(forKey: key) == tuning)
        // Tuned again, the pooling's own choice won: its old winner goes, the convolution's stays.
        try cache.store(Tuning(), tuned: [], grids: [pool], forKey: key)
        #expect(cache.tuning(forKey: key)?.grids == [shape: GridChoice(variant: 1, group: [2, 4, 1])])

        let unusable = Tuning(grids: [shape: GridChoice(variant: 7), pool: GridChoice(variant: 0, group: [1024, 1024, 1])])
        let library = try KernelLibrary(context: context, tuning: Tuning(grids: tuning.grids.merging(unusable.grids) { $1 }))
        #expect(library.tuning.grids.isEmpty)
        #expect(try KernelLibrary(context: context, tuning: tuning).tuning.grids == tuning.grids)

        let old = "{\"format\": \"cltrain tuning 1\", \"key\": \"KEY\", \"entries\": []}"
        try Data(old.replacingOccurrences(of: "KEY", with: key.replacingOccurrences(of: "\t", with: "\\t")).utf8)
            .write(to: URL(fileURLWithPath: cache.path(forKey: key)))
        #expect(cache.tuning(forKey: key) == Tuning())
    }

    /// A tuned choice runs in training: a step with it gives the parameters a step with the launchers' own
    /// choices gives, and selftest checks the choice at its kind's sizes. The weight gradient's batch is sliced
    /// as finely as the layer's scratch allows.
    @Test func aTunedChoiceTrainsAsTheDefaultsDoAndSelftestChecksIt() throws {
        let context = try testContext()
        let (plan, train, test) = try Self.plan()
        let probe = try KernelLibrary(context: context)
        let launches = try Tuner.gridLaunches(of: Self.stepper(probe), library: probe)
        #expect(launches.contains { $0.shape.kernel == "conv2d_backward_weight" && $0.slices > 1 })
        let tuning = Tuning(grids: Dictionary(uniqueKeysWithValues: launches.map {
            ($0.shape, GridChoice(variant: probe.variantCount($0.shape.kernel) - 1, group: $0.global.map { _ in 1 }, slices: $0.slices))
        }))
        func oneStep(_ tuning: Tuning) throws -> [Float] {
            let library = try KernelLibrary(context: context, tuning: tuning)
            #expect(library.tuning == tuning)
            let stepper = try KernelBenchmark.stepper(library: library, plan: plan, train: train, test: test)
            try stepper.backend.trainStep(batch: 0, start: 0, count: stepper.rows)
            return try stepper.backend.snapshot().0.values
        }
        let tuned = try oneStep(tuning), own = try oneStep(Tuning())
        #expect(zip(tuned, own).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        let (_, results) = try KernelChecks.runEveryVariant(context: context, sources: Kernels.sources,
                                                            seed: freshSeed("tuned selftest"), small: true, tuning: tuning)
        let forced = results.filter { $0.variant.hasPrefix("conv2d_forward build \(Conv2d.blockings.count - 1)") }
        #expect(!forced.isEmpty && forced.allSatisfy(\.passed))
        let sliced = results.filter { $0.variant.hasPrefix("conv2d_backward_weight") && $0.variant.contains("slices") }
        #expect(!sliced.isEmpty && sliced.allSatisfy(\.passed))
    }
}
