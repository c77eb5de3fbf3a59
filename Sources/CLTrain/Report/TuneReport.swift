import CLKit
import Foundation

/// `cltrain tune`'s results: per matmul shape, the default's time and the chosen configuration's, alone and, where a
/// winner challenged the default, inside real training steps; per convolution and pooling launch, the same inside
/// real steps.
public struct TuneReport: JSONReport {
    public let device: String
    public let model: String
    public let seed: UInt64
    /// The cache file the winners were written to.
    public let cache: String
    /// Wall time of the whole tuning run.
    public let seconds: Double
    public let outcomes: [Tuner.Outcome]
    public let gridOutcomes: [Tuner.GridOutcome]
    public let timing: TimingSource

    public init(device: String, model: String, seed: UInt64, cache: String, seconds: Double, outcomes: [Tuner.Outcome],
                gridOutcomes: [Tuner.GridOutcome] = [], timing: TimingSource) {
        (self.device, self.model, self.seed, self.cache, self.seconds) = (device, model, seed, cache, seconds)
        (self.outcomes, self.gridOutcomes, self.timing) = (outcomes, gridOutcomes, timing)
    }

    public func text() -> String {
        var lines = ["Device: \(device)", "Model:  \(model)", "Seed:   \(seed)  (the checks' inputs)", "",
                     "shape                                   default      chosen   speed-up  configuration"]
        for outcome in outcomes {
            lines.append("\(outcome.shape)".padding(toLength: 38, withPad: " ", startingAt: 0)
                + String(format: "%9.1f µs %9.1f µs %8.2f×  ", outcome.defaultSeconds * 1e6, outcome.chosenSeconds * 1e6,
                         outcome.defaultSeconds / outcome.chosenSeconds)
                + "\(outcome.chosen)" + (outcome.rejected.isEmpty ? "" : " (failed the check: \(outcome.rejected.joined(separator: "; ")))"))
            if let inStep = outcome.inStep {
                let verdict = outcome.unconfirmed.map { "kept the default: \($0) won alone but" } ?? "confirmed:"
                lines.append(String(format: "    %@ %.1f µs in a real step against %.1f µs by default", verdict,
                                    inStep.winnerSeconds * 1e6, inStep.defaultSeconds * 1e6))
            }
        }
        let before = outcomes.reduce(0) { $0 + $1.defaultSeconds }, after = outcomes.reduce(0) { $0 + $1.chosenSeconds }
        lines.append(String(format: "sum over the shapes: %.1f µs by default, %.1f µs tuned (%.2f×), each timed alone",
                            before * 1e6, after * 1e6, before / after))
        if !gridOutcomes.isEmpty { lines += ["", gridText()] }
        if timing == .wallClock { lines.append("(timed by the wall clock: the device's profiling counters are implausible)") }
        lines.append(String(format: "tuned in %.1f s; cached in %@", seconds, cache))
        return lines.joined(separator: "\n")
    }

    /// The convolution and pooling launches: the launcher's own choice and the fastest, timed in rounds of real
    /// steps, and what was kept.
    func gridText() -> String {
        var lines = ["convolution and pooling launch (sizes)              own, in steps   fastest   speed-up  kept"]
        for outcome in gridOutcomes {
            lines.append("\(outcome.shape)".padding(toLength: 50, withPad: " ", startingAt: 0)
                + String(format: "%9.1f µs %9.1f µs %8.2f×  ", outcome.ownSeconds * 1e6, outcome.fastestSeconds * 1e6,
                         outcome.ownSeconds / outcome.fastestSeconds)
                + (outcome.chosen == outcome.ownChoice ? "own (\(outcome.ownChoice))" : "\(outcome.chosen)")
                + (outcome.rejected.isEmpty ? "" : " (failed the checks: \(outcome.rejected.joined(separator: "; ")))"))
            if let inStep = outcome.inStep {
                let verdict = outcome.unconfirmed.map { "kept its own: \($0) won its round but" } ?? "confirmed:"
                lines.append(String(format: "    %@ %.1f µs against %.1f µs with its own, in alternated steps", verdict,
                                    inStep.winnerSeconds * 1e6, inStep.defaultSeconds * 1e6))
            } else if outcome.fastest != outcome.ownChoice && outcome.rejected.isEmpty {
                lines.append("    kept its own: \(outcome.fastest) was within \(Int(Tuner.margin * 100))% of it")
            }
        }
        return lines.joined(separator: "\n")
    }
}
