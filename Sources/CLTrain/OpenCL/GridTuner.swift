import CLKit

/// The tuner's pass over the grid launches of a step (convolutions and poolings, `KernelLibrary.launch(tunable:…)`):
/// every build of the kind's kernel file in the launcher's own work-group and in a few others. Unlike a matmul
/// shape, a grid shape is timed only inside real steps: each round of steps runs one candidate of every shape at
/// once, so a model's whole list costs a dozen rounds, and the times already include what the other launches do
/// to the caches. The fastest candidate must beat the launcher's own by the margin, pass its kind's checks
/// against the CPU twins while forced on every launch of its kernel, and then beat the default again in rounds
/// alternated with the defaults (`confirm`).
extension Tuner {
    /// What tuning found for one grid shape; times are medians inside real steps.
    public struct GridOutcome: Encodable, Sendable {
        public let shape: GridShape
        /// The launcher's own choice, and the one kept.
        public let ownChoice: GridChoice
        public internal(set) var chosen: GridChoice
        /// The fastest candidate in its round and its time, and the launcher's own choice's time in its round.
        public let fastest: GridChoice
        public let fastestSeconds: Double
        public let ownSeconds: Double
        /// Candidates timed at this shape.
        public let timed: Int
        /// Fast choices that failed their kind's checks, and were passed over.
        public internal(set) var rejected: [String] = []
        /// The shape's median time in the alternated rounds, with the defaults and with the winner; nil where no
        /// candidate beat the launcher's own by the margin.
        public internal(set) var inStep: InStep? = nil
        /// The winner of the rounds, where it lost in the alternated ones and the launcher's own was kept.
        public internal(set) var unconfirmed: String? = nil
    }

    /// A timer of real steps for a set of grid choices: each grid shape's time in one step.
    public typealias GridStepTimes = ([GridShape: GridChoice]) throws -> [GridShape: Double]

    /// Tunes every grid launch of `stepper`'s step; leaves `library` running the winners, and returns them.
    /// `smallChecks` checks winners at the checks' small sizes only (`KernelChecks.small`), for the suite.
    static func tuneGrids(library: KernelLibrary, stepper: (backend: OpenCLBackend, rows: Int), seed: UInt64,
                          stepTimes: GridStepTimes? = nil, smallChecks: Bool = false,
                          progress: (_ message: String, _ detail: Bool) -> Void) throws
        -> (grids: [GridShape: GridChoice], outcomes: [GridOutcome]) {
        let launches = try gridLaunches(of: stepper, library: library)
        guard !launches.isEmpty else { return ([:], []) }
        let timer = stepTimes ?? gridStepTimes(library: library, stepper: stepper)
        let candidates = launches.map {
            gridCandidates(library: library, shape: $0.shape, own: $0.choice, global: $0.global, ownGroup: $0.local,
                           slices: $0.slices)
        }
        let rounds = candidates.map(\.count).max() ?? 0
        progress("timing \(rounds) builds and work-groups of \(launches.count) convolution and pooling launches in real steps", false)
        var times = launches.map { _ in [Double]() }
        for round in 0..<rounds {
            progress("round \(round + 1)/\(rounds) of real steps", true)
            var tried: [GridShape: GridChoice] = [:]
            for (index, launch) in launches.enumerated() where round < candidates[index].count {
                tried[launch.shape] = candidates[index][round]
            }
            let measured = try timer(tried)
            for (index, launch) in launches.enumerated() where round < candidates[index].count {
                times[index].append(measured[launch.shape] ?? .infinity)
            }
        }
        // The checks run at their own sizes, with no round's choices left in place.
        library.tuning.grids = [:]
        var checks = KernelChecks(library: library, seed: seed, small: smallChecks)
        var winners: [GridShape: GridChoice] = [:]
        var outcomes: [GridOutcome] = []
        for (index, launch) in launches.enumerated() {
            let ranked = zip(candidates[index], times[index]).sorted { $0.1 < $1.1 }
            let ownSeconds = times[index][0]
            var outcome = GridOutcome(shape: launch.shape, ownChoice: launch.choice, chosen: launch.choice,
                                      fastest: ranked[0].0, fastestSeconds: ranked[0].1, ownSeconds: ownSeconds,
                                      timed: candidates[index].count)
            for (choice, seconds) in ranked where choice != launch.choice && seconds < ownSeconds * (1 - margin) {
                progress("checking \(launch.shape.kernel) with \(choice) against the CPU twins", true)
                if try passesChecks(choice, kernel: launch.shape.kernel, checks: &checks) {
                    outcome.chosen = choice
                    winners[launch.shape] = choice
                    break
                }
                outcome.rejected.append("\(choice)")
            }
            outcomes.append(outcome)
        }
        guard !winners.isEmpty else { return ([:], outcomes) }
        progress("timing real steps with the convolution and pooling winners and with the defaults", false)
        let confirmed = try confirm(winners: winners, stepTimes: timer)
        for index in outcomes.indices {
            let shape = outcomes[index].shape
            guard let inStep = confirmed[shape] else { continue }
            outcomes[index].inStep = inStep
            if inStep.winnerSeconds >= inStep.defaultSeconds * (1 - margin) {
                outcomes[index].unconfirmed = "\(outcomes[index].chosen)"
                outcomes[index].chosen = outcomes[index].ownChoice
                winners[shape] = nil
            }
        }
        library.tuning.grids = winners
        return (winners, outcomes)
    }

    /// The grid launches of one step of `stepper`, in launch order without repeats: shape, the choice the launcher
    /// made by itself, its grid and its work-group.
    static func gridLaunches(of stepper: (backend: OpenCLBackend, rows: Int), library: KernelLibrary) throws
        -> [KernelLibrary.GridLaunch] {
        let tuned = library.tuning.grids
        library.tuning.grids = [:]
        library.gridLaunches = []
        defer { library.gridLaunches = nil; library.tuning.grids = tuned }
        try stepper.backend.trainStep(batch: 0, start: 0, count: stepper.rows)
        try library.context.finish()
        var seen = Set<GridShape>()
        return (library.gridLaunches ?? []).filter { seen.insert($0.shape).inserted }
    }

    /// The launcher's own choice first, then every build of the kernel in the launcher's group and in the groups
    /// `GridChoice.groups` offers for its grid, within what each build and the device allow; none that would run
    /// the launcher's own build in its own group (`ownGroup`) again. Where the launch has a small-grid path (room
    /// for `slices` > 1), every build also in the launcher's group with the batch in 2, 4, … up to `slices` slices.
    static func gridCandidates(library: KernelLibrary, shape: GridShape, own: GridChoice, global: [Int],
                               ownGroup: [Int], slices: Int = 1) -> [GridChoice] {
        var list = [own]
        let sliceCounts = sequence(first: 2) { $0 * 2 }.prefix { $0 <= slices }
        for variant in 0..<library.variantCount(shape.kernel) {
            guard let kernel = try? library.kernel(shape.kernel, variant: variant) else { continue }
            let groups = GridChoice.groups(for: global, maxWorkGroupSize: kernel.maxWorkGroupSize,
                                           dimensionLimits: library.context.device.maxWorkItemSizes)
            list += (([nil] + groups).map { GridChoice(variant: variant, group: $0) }
                     + sliceCounts.map { GridChoice(variant: variant, slices: $0) })
                .filter { $0 != own && !($0.variant == own.variant && $0.group == ownGroup && $0.slices == nil)
                    && (try? library.checkFits($0, kernel: shape.kernel)) != nil }
        }
        return list
    }

    /// Whether every check of the kind that owns `kernel` passes with `choice` forced on each of its launches.
    static func passesChecks(_ choice: GridChoice, kernel: String, checks: inout KernelChecks) throws -> Bool {
        let results = try checks.forcing(choice, on: kernel)
        return !results.isEmpty && results.allSatisfy(\.passed)
    }

    /// A timer of real steps of `stepper` for grid choices (`KernelBenchmark.time`, medians over `stepsPerRound`
    /// steps), each grid shape's time summed over its launches; the library's matmul choices stay as they are.
    static func gridStepTimes(library: KernelLibrary, stepper: (backend: OpenCLBackend, rows: Int)) -> GridStepTimes {
        { grids in
            library.tuning.grids = grids
            let timings = try KernelBenchmark.time(stepper, library: library, steps: stepsPerRound)
            return timings.reduce(into: [:]) { times, timing in
                if let shape = timing.grid { times[shape, default: 0] += timing.seconds }
            }
        }
    }

    /// Each winner's median time over `stepRounds` rounds of real steps with the winners, alternated with as many
    /// with the defaults (no choices), against the defaults'.
    static func confirm(winners: [GridShape: GridChoice], stepTimes: GridStepTimes) throws -> [GridShape: InStep] {
        let medians = try alternatedMedians(defaults: { try stepTimes([:]) }, winners: { try stepTimes(winners) })
        return Dictionary(uniqueKeysWithValues: winners.keys.map { ($0, medians($0)) })
    }
}
