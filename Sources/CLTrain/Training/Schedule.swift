import Foundation

/// How the learning rate moves over a run, step by step, with PyTorch's formulas; `rate` is a pure function
/// of the step, so a resumed run continues the curve exactly where the saved one left it.
///
/// `--schedule constant|cosine|step:EPOCHS:GAMMA|onecycle` and `--warmup STEPS`:
/// - `cosine`: `CosineAnnealingLR(T_max = every step of the run, eta_min = 0)`, stepped after each update;
/// - `step:E:G`: `StepLR(step_size = E epochs, gamma = G)`, counted in steps;
/// - `onecycle`: `OneCycleLR(max_lr = --lr, total_steps = every step of the run)` with its defaults (30% rising,
///   cosine annealing, div_factor 25, final_div_factor 1e4); momentum is not cycled (`cycle_momentum=False`);
/// - warm-up multiplies the first `warmup` steps' rates by `(k + 1) / warmup` (PyTorch's `LinearLR` from
///   `1 / warmup` to 1, chained with the schedule).
public struct Schedule: Equatable, Sendable, CustomStringConvertible {
    public enum Curve: Equatable, Sendable {
        case constant
        case cosine
        case step(epochs: Int, gamma: Float)
        case onecycle
    }

    public var curve: Curve
    /// Steps of linear warm-up at the start of the run; 0 for none.
    public var warmup: Int

    public init(_ curve: Curve = .constant, warmup: Int = 0) {
        self.curve = curve
        self.warmup = warmup
    }

    public static let constant = Schedule()

    /// Every curve `--schedule` takes, for help and messages.
    public static let syntax = "constant, cosine, step:EPOCHS:GAMMA or onecycle"

    /// Parses `--schedule`'s value (and the checkpoint's `schedule`).
    public init(parsing text: String, warmup: Int = 0) throws(InvalidSetting) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let curve: Curve
        switch (parts[0], parts.count) {
        case ("constant", 1): curve = .constant
        case ("cosine", 1): curve = .cosine
        case ("onecycle", 1): curve = .onecycle
        case ("step", 3):
            guard let epochs = Int(parts[1]), epochs > 0, let gamma = Float(parts[2]), gamma.isFinite, gamma > 0 else {
                throw InvalidSetting(key: "schedule", value: text, expected: "step:EPOCHS:GAMMA with EPOCHS ≥ 1 and GAMMA > 0, e.g. step:2:0.1")
            }
            curve = .step(epochs: epochs, gamma: gamma)
        default:
            throw InvalidSetting(key: "schedule", value: text, expected: Self.syntax)
        }
        guard (0...100_000_000).contains(warmup) else {
            throw InvalidSetting(key: "warmup", value: String(warmup), expected: "a count of steps from 0 to 100000000")
        }
        self.init(curve, warmup: warmup)
    }

    /// The curve as `--schedule` spells it.
    public var description: String {
        switch curve {
        case .constant: return "constant"
        case .cosine: return "cosine"
        case .step(let epochs, let gamma): return "step:\(epochs):\(gamma)"
        case .onecycle: return "onecycle"
        }
    }

    /// The rate of update `k` (0-based: the run's first update is 0) of a run of `totalSteps` updates,
    /// `stepsPerEpoch` of them an epoch, for the base rate `base`. Computed in Double, as PyTorch's schedulers
    /// compute in Python floats, and rounded once.
    public func rate(step k: Int, base: Float, totalSteps: Int, stepsPerEpoch: Int) -> Float {
        let base = Double(base), total = Double(max(totalSteps, 1))
        var rate: Double
        switch curve {
        case .constant:
            rate = base
        case .cosine:
            rate = base * (1 + cos(Double.pi * Double(k) / total)) / 2
        case .step(let epochs, let gamma):
            rate = base * pow(Double(gamma), Double(k / max(epochs * stepsPerEpoch, 1)))
        case .onecycle:
            // Two phases: from base/25 up to base over the first 30% of the steps, then down to base/25/1e4.
            let initial = base / 25, final = initial / 1e4
            let peak = 0.3 * total - 1, last = total - 1
            func anneal(_ start: Double, _ end: Double, _ fraction: Double) -> Double {
                end + (start - end) / 2 * (cos(Double.pi * fraction) + 1)
            }
            rate = Double(k) <= peak ? anneal(initial, base, Double(k) / max(peak, 1e-12))
                : anneal(base, final, (Double(k) - peak) / max(last - peak, 1e-12))
        }
        if k < warmup { rate *= Double(k + 1) / Double(warmup) }
        return Float(rate)
    }
}
