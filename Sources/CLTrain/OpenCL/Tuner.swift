import CLKit
import Dispatch

/// `cltrain tune`: for every matmul shape one training step of a model launches, times a bounded set of
/// configurations of both kernel families at that shape, checks the fastest against the CPU twins, and keeps
/// the fastest that passes; then the step's convolution and pooling launches (`tuneGrids`). The device's default configuration is always among those timed, and stays unless
/// another beats it clearly, so tuning never makes a run slower than the defaults by more than noise.
/// A winner timed alone must then win inside real training steps too: there the other launches have moved the
/// caches and the device's threads, and on PoCL the lesson's isolated winners together made its step slower
/// (289–344 µs against 280–335 µs by default, alternated in one run).
public enum Tuner {
    /// What tuning found for one shape.
    public struct Outcome: Encodable, Sendable {
        public let shape: MatmulShape
        public internal(set) var chosen: MatmulChoice
        /// The best time of the device's default and of the chosen configuration, each timed alone, in seconds.
        public let defaultSeconds: Double
        public internal(set) var chosenSeconds: Double
        /// Configurations timed at this shape (those that built and fit the device).
        public let timed: Int
        /// Fast configurations that failed their check against the CPU twin, and were passed over.
        public let rejected: [String]
        /// The shape's median time inside real training steps with the defaults and with the winner timed alone,
        /// in seconds; nil where the default won alone.
        public internal(set) var inStep: InStep? = nil
        /// The winner timed alone, where it lost inside the steps and the default was kept.
        public internal(set) var unconfirmed: String? = nil
    }

    public struct InStep: Encodable, Sendable {
        public let defaultSeconds: Double
        public let winnerSeconds: Double
    }

    /// A challenger must beat the default by this fraction to replace it: less is within timing noise.
    static let margin = 0.05
    /// Launches timed per configuration and shape, after one untimed launch (a lazy driver compiles there).
    static let launches = 5
    /// A configuration slower than this many times the best so far is abandoned after one timed launch.
    static let abandonFactor = 3.0
    /// Rounds of real steps with the winners and with the defaults, alternated, and the steps each round times.
    static let stepRounds = 3, stepsPerRound = 20

    /// The matmul configurations worth timing on `device`: the default and a shortlist of each family, fitted to
    /// the device's work-group and local memory limits. Each configuration costs a compile (seconds on PoCL), so
    /// the list is short: vector widths from a quarter of the device's preferred width to twice it (1, 2 and 4
    /// on a device whose lanes are work-items), register blocks no larger than the default CPU blocking (larger
    /// ones spill), and small to large tiles. The vector family is tried in the launcher's own work-groups and in
    /// a few fixed ones, which cost no compile: a driver that makes groups of one work-item (Rusticl) leaves its
    /// lanes idle.
    public static func candidates(for device: Device, default own: KernelConfiguration.Matmul) -> [MatmulChoice] {
        var list = [own]
        let preferred = max(1, device.preferredVectorWidthFloat)
        for width in [1, 2, 4, 8, 16] where width <= max(4, 2 * preferred) && width >= preferred / 4 {
            for (rows, columns, vectors) in [(2, 2, 1), (4, 4, 1), (4, 4, 2)] {
                list.append(.vector(width: width, blockRows: rows, blockColumns: columns, vectors: vectors))
            }
        }
        for (tile, block) in [(8, 1), (16, 2), (32, 4)] {
            let fitted = KernelConfiguration(matmul: .tiled(tile: tile, depth: 16, blockRows: block, blockColumns: block),
                                             reductionGroup: 1)
                .fitted(maxWorkGroupSize: device.maxWorkGroupSize, localMemoryBytes: Int(clamping: device.localMemoryBytes))
            list.append(fitted.matmul)
        }
        var seen = Set<KernelConfiguration.Matmul>()
        let groups = [nil] + [[32, 1], [8, 4], [64, 1], [16, 4]].filter { $0.reduce(1, *) <= device.maxWorkGroupSize }
        return list.filter { seen.insert($0).inserted }.flatMap { matmul -> [MatmulChoice] in
            guard case .vector = matmul else { return [MatmulChoice(matmul)] }
            return groups.map { MatmulChoice(matmul, group: $0) }
        }
    }

    /// The matmul shapes, in launch order without repeats, of one training step of `plan` (its last layer's
    /// products included), found by running that step on `library`.
    public static func shapes(library: KernelLibrary, plan: TrainingPlan, train: Dataset, test: Dataset,
                              placement: DataPlacement = .resident) throws -> [MatmulShape] {
        try shapes(of: KernelBenchmark.stepper(library: library, plan: plan, train: train, test: test, placement: placement),
                   library: library)
    }

    /// The matmul shapes of one step of `stepper` (see `KernelBenchmark.stepper`).
    static func shapes(of stepper: (backend: OpenCLBackend, rows: Int), library: KernelLibrary) throws -> [MatmulShape] {
        library.matmulShapes = []
        defer { library.matmulShapes = nil }
        try stepper.backend.trainStep(batch: 0, start: 0, count: stepper.rows)
        try library.context.finish()
        var seen = Set<MatmulShape>()
        return (library.matmulShapes ?? []).filter { seen.insert($0).inserted }
    }

    /// Tunes every matmul shape of one training step of `plan` on `library`'s device (a profiling context
    /// times the launches where its counters are plausible; see `Context.measure`).
    /// - Parameters:
    ///   - candidates: the configurations to time; `candidates(for:default:)` unless a test narrows them.
    ///   - progress: told what is being timed, for a progress line: each shape as it starts (`detail` false), then
    ///     each configuration and check (`detail` true).
    ///   - placement: how the steps' backend holds the data (`ComputeDevice.checkMemory`).
    ///   - stepTimes: each matmul shape's time in one training step run with a tuning (`stepTimes(library:stepper:)`
    ///     unless a test injects times); `gridStepTimes` the same for grid choices (`tuneGrids`).
    public static func run(library: KernelLibrary, plan: TrainingPlan, train: Dataset, test: Dataset, seed: UInt64,
                           placement: DataPlacement = .resident, candidates: [MatmulChoice]? = nil,
                           stepTimes: ((Tuning) throws -> [MatmulShape: Double])? = nil, gridStepTimes: GridStepTimes? = nil,
                           progress: (_ message: String, _ detail: Bool) -> Void = { _, _ in }) throws
        -> (tuning: Tuning, outcomes: [Outcome], gridOutcomes: [GridOutcome]) {
        let own = MatmulChoice(library.configuration.matmul)
        let given = candidates ?? Self.candidates(for: library.context.device, default: own.matmul)
        let candidates = [own] + given.filter { $0 != own }
        progress("finding the matmul shapes of one training step", false)
        // One backend serves the search for shapes and, later, the real steps.
        let stepper = try KernelBenchmark.stepper(library: library, plan: plan, train: train, test: test, placement: placement)
        let shapes = try shapes(of: stepper, library: library)
        var checks = KernelChecks(library: library, seed: seed)
        var tuning = Tuning(), outcomes: [Outcome] = []
        for (number, shape) in shapes.enumerated() {
            let trial = try Trial(library: library, shape: shape, seed: seed)
            var times: [(matmul: MatmulChoice, seconds: Double)] = []
            progress("[\(number + 1)/\(shapes.count)] \(shape): timing \(candidates.count) configurations", false)
            for (index, matmul) in candidates.enumerated() {
                progress("[\(number + 1)/\(shapes.count)] \(shape): \(index + 1)/\(candidates.count) \(matmul)", true)
                // A configuration the device cannot build or fit is not a candidate here.
                guard (try? library.use(matmul, for: shape)) != nil else { continue }
                times.append((matmul, try trial.time(bestSoFar: times.map(\.seconds).min())))
            }
            let ownSeconds = times.first { $0.matmul == own }?.seconds ?? .infinity
            var rejected: [String] = []
            var chosen = own
            for (matmul, seconds) in times.sorted(by: { $0.seconds < $1.seconds })
            where matmul == own || seconds < ownSeconds * (1 - margin) {
                progress("[\(number + 1)/\(shapes.count)] \(shape): checking \(matmul) against the CPU twin", true)
                try library.use(matmul, for: shape)
                if try checks.matmul(shape).passed {
                    chosen = matmul
                    break
                }
                rejected.append("\(matmul)")
                if matmul == own { break }  // the default failing is a driver's fault; selftest will say so
            }
            try library.use(chosen, for: shape)
            if chosen != own { tuning.choices[shape] = chosen }
            outcomes.append(Outcome(shape: shape, chosen: chosen, defaultSeconds: ownSeconds,
                                    chosenSeconds: times.first { $0.matmul == chosen }?.seconds ?? ownSeconds,
                                    timed: times.count, rejected: rejected))
        }
        if !tuning.choices.isEmpty {
            progress("timing real training steps with the winners and with the defaults", false)
            let timer = stepTimes ?? Self.stepTimes(library: library, stepper: stepper)
            try confirmInSteps(&tuning, &outcomes, default: own, stepTimes: timer)
            for outcome in outcomes where outcome.unconfirmed != nil { try library.use(own, for: outcome.shape) }
        }
        // The grid launches are timed with the matmul winners in place, as training will run them.
        let (grids, gridOutcomes) = try tuneGrids(library: library, stepper: stepper, seed: seed, stepTimes: gridStepTimes,
                                                  progress: progress)
        tuning.grids = grids
        return (tuning, outcomes, gridOutcomes)
    }

    /// Times real steps with `tuning` and with the defaults, `stepRounds` times alternately, and gives each
    /// winner's shape back to the default (`own`) unless the winner's median time there beats the default's by the
    /// margin; records both times in the shape's outcome.
    static func confirmInSteps(_ tuning: inout Tuning, _ outcomes: inout [Outcome], default own: MatmulChoice,
                               stepTimes: (Tuning) throws -> [MatmulShape: Double]) throws {
        let winners = tuning
        let medians = try alternatedMedians(defaults: { try stepTimes(Tuning()) }, winners: { try stepTimes(winners) })
        for index in outcomes.indices where outcomes[index].chosen != own {
            let shape = outcomes[index].shape
            let inStep = medians(shape)
            outcomes[index].inStep = inStep
            guard inStep.winnerSeconds >= inStep.defaultSeconds * (1 - margin) else { continue }
            outcomes[index].unconfirmed = "\(outcomes[index].chosen)"
            outcomes[index].chosen = own
            outcomes[index].chosenSeconds = outcomes[index].defaultSeconds
            tuning.choices[shape] = nil
        }
    }

    /// Runs `stepRounds` rounds of steps with the defaults and with the winners, alternately (the machine's load
    /// drifts), and gives each key's median time over the rounds of each.
    static func alternatedMedians<Key: Hashable>(defaults: () throws -> [Key: Double],
                                                 winners: () throws -> [Key: Double]) throws -> (Key) -> InStep {
        var withDefaults: [[Key: Double]] = [], withWinners: [[Key: Double]] = []
        for _ in 0..<stepRounds {
            withDefaults.append(try defaults())
            withWinners.append(try winners())
        }
        func median(_ rounds: [[Key: Double]], _ key: Key) -> Double {
            let times = rounds.map { $0[key] ?? .infinity }.sorted()
            return times[times.count / 2]
        }
        return { InStep(defaultSeconds: median(withDefaults, $0), winnerSeconds: median(withWinners, $0)) }
    }

    /// A timer of real training steps of `stepper` on `library`, for a tuning: each matmul shape's time, summed
    /// over its launches, in one step (medians over `stepsPerRound` steps, see `KernelBenchmark`). It leaves
    /// `library` running that tuning. The rounds share the one backend rather than building every program and
    /// uploading the dataset again per round.
    static func stepTimes(library: KernelLibrary,
                          stepper: (backend: OpenCLBackend, rows: Int)) -> (Tuning) throws -> [MatmulShape: Double] {
        { tuning in
            library.tuning.choices = [:]
            for (shape, choice) in tuning.choices { try library.use(choice, for: shape) }
            let timings = try KernelBenchmark.time(stepper, library: library, steps: stepsPerRound)
            return timings.reduce(into: [:]) { times, timing in
                if let shape = timing.matmul { times[shape, default: 0] += timing.seconds }
            }
        }
    }
}

/// One matmul shape's buffers, filled with random values, and the launch that times a configuration on them.
private struct Trial {
    let library: KernelLibrary
    let shape: MatmulShape
    let launch: () throws -> Event?

    init(library: KernelLibrary, shape: MatmulShape, seed: UInt64) throws {
        self.library = library
        self.shape = shape
        var random = SeededGenerator(seed: seed)
        let context = library.context
        func buffer(_ count: Int) throws -> Buffer<Float> {
            try Buffer(context: context, values: (0..<max(count, 1)).map { _ in Float.random(in: -1...1, using: &random) })
        }
        let (rows, inputs, outputs) = (shape.rows, shape.inputs, shape.outputs)
        switch shape.kernel {
        case "matmul_forward":
            let (x, w, b, y) = (try buffer(rows * inputs), try buffer(outputs * inputs), try buffer(outputs), try buffer(rows * outputs))
            launch = { try library.matmulForward(rows: rows, inputs: inputs, outputs: outputs, x: x, weight: w, bias: b, y: y, relu: true) }
        default:
            let (dy, w, x, dx) = (try buffer(rows * outputs), try buffer(outputs * inputs), try buffer(rows * inputs), try buffer(rows * inputs))
            let (dw, db) = (try buffer(outputs * inputs), try buffer(outputs))
            let inputGradient = shape.inputGradient ? dx : nil
            launch = {
                try library.matmulBackward(rows: rows, inputs: inputs, outputs: outputs, dy: dy, weight: w, x: x,
                                           activation: inputGradient.map { _ in x }, dx: inputGradient, dw: dw, db: db)
            }
        }
    }

    /// The shortest of `Tuner.launches` timed launches after an untimed one; one timed launch only when it is
    /// already far slower than `bestSoFar`.
    func time(bestSoFar: Double?) throws -> Double {
        let context = library.context
        _ = try context.measure(launch)
        var best = Double.infinity
        for _ in 0..<Tuner.launches {
            best = min(best, try context.measure(launch))
            if let bestSoFar, best > bestSoFar * Tuner.abandonFactor { break }
        }
        return best
    }
}
