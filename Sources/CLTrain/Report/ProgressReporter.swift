import Foundation

/// Shows how far the current epoch has got. On a terminal one bar is redrawn in place with `\r`, at most
/// ten times a second so drawing never costs training time; into a file or pipe (a log, CI) it writes a
/// plain line at every tenth of the epoch instead, because carriage returns turn logs into one long line.
///
///     epoch 3/10 [████████████▌           ] 469/938  loss 0.3127  48210 samples/s  ETA 0:04
public final class ProgressReporter {
    private let isTerminal: Bool
    private let write: (String) -> Void
    private let now: () -> Double
    private var epoch = 0, epochs = 0, batches = 0
    private var started = 0.0, lastDrawn = -Double.infinity
    private var tenthsReported = 0
    private var barShown = false

    /// - Parameters:
    ///   - isTerminal: whether output goes to a terminal that honours `\r`.
    ///   - write: where the text goes; it flushes, as a bar without a newline would otherwise sit in a buffer.
    public convenience init(isTerminal: Bool = isatty(1) != 0,
                            write: @escaping (String) -> Void = { print($0, terminator: ""); fflush(stdout) }) {
        self.init(isTerminal: isTerminal, write: write, now: { ProcessInfo.processInfo.systemUptime })
    }

    /// `now` (seconds on a monotonic clock) lets tests drive the redraw limit and the ETA.
    init(isTerminal: Bool, write: @escaping (String) -> Void, now: @escaping () -> Double) {
        self.isTerminal = isTerminal
        self.write = write
        self.now = now
    }

    /// Starts epoch `epoch` (1-based) of `of`, which has `batches` batches.
    public func begin(epoch: Int, of epochs: Int, batches: Int) {
        (self.epoch, self.epochs, self.batches) = (epoch, epochs, max(batches, 1))
        started = now()
        lastDrawn = -.infinity
        tenthsReported = 0
        update(batchesDone: 0, runningLoss: .nan, samplesPerSecond: 0)
    }

    /// Reports progress after `batchesDone` batches; cheap enough to call after every batch.
    public func update(batchesDone: Int, runningLoss: Double, samplesPerSecond: Double) {
        let time = now()
        if isTerminal {
            guard time - lastDrawn >= 0.1 || batchesDone >= batches else { return }
            lastDrawn = time
            write("\r" + status(batchesDone, runningLoss, samplesPerSecond, elapsed: time - started, bar: true) + Self.clearToEnd)
            barShown = true
        } else {
            // Not at the end: the summary from `end` stands for the whole epoch.
            let tenths = batchesDone * 10 / batches
            guard tenths > tenthsReported && batchesDone < batches else { return }
            tenthsReported = tenths
            write(status(batchesDone, runningLoss, samplesPerSecond, elapsed: time - started, bar: false) + "\n")
        }
    }

    /// Removes the bar and writes `summary` on its own line.
    public func end(summary: String) {
        write((barShown ? "\r" + Self.clearToEnd : "") + summary + "\n")
        barShown = false
    }

    /// ANSI "erase to end of line": a shorter redraw must not leave the tail of a longer one behind.
    private static let clearToEnd = "\u{1B}[K"

    private func status(_ done: Int, _ loss: Double, _ samplesPerSecond: Double, elapsed: Double, bar: Bool) -> String {
        let fraction = min(Double(done) / Double(batches), 1)
        var parts = ["epoch \(epoch)/\(epochs)"]
        parts.append(bar ? TextBar.draw(fraction) + " \(done)/\(batches)" : String(format: "%3.0f%% (%d/%d batches)", fraction * 100, done, batches))
        if loss.isFinite { parts.append(String(format: "loss %.4f", loss)) }
        if samplesPerSecond > 0 { parts.append(String(format: "%.0f samples/s", samplesPerSecond)) }
        if done > 0 && done < batches { parts.append("ETA " + Self.duration(elapsed / Double(done) * Double(batches - done))) }
        return parts.joined(separator: "  ")
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}
