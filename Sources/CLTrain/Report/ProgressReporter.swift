import Foundation

/// Shows how far the current epoch has got. On a terminal one bar is redrawn in place with `\r`, at most
/// ten times a second so drawing never costs training time; into a file or pipe (a log, CI) it writes a
/// plain line at every tenth of the epoch instead, because carriage returns turn logs into one long line.
/// `quiet` leaves only the line that ends each epoch.
///
///     epoch 3/10 [████████████▌           ] 469/938  loss 0.3127  48210 samples/s  ETA 0:04
///
/// The bar fits the terminal's width, read at every redraw: a line that wrapped could no longer be redrawn in
/// place and would leave a stale copy per redraw. Narrower terminals lose the rate, then the ETA, then the loss,
/// while the bar shrinks, and at the last only the counts remain.
public final class ProgressReporter {
    private let isTerminal: Bool
    private let quiet: Bool
    private let write: (String) -> Void
    private let now: () -> Double
    private let columns: () -> Int
    private var epoch = 0, epochs = 0, batches = 0
    private var started = 0.0, lastDrawn = -Double.infinity
    private var tenthsReported = 0
    private var barShown = false
    private var learningRate: Float?

    /// - Parameters:
    ///   - isTerminal: whether output goes to a terminal that honours `\r`.
    ///   - write: where the text goes; it flushes, as a bar without a newline would otherwise sit in a buffer.
    ///   - quiet: write only the line that ends each epoch.
    public convenience init(isTerminal: Bool = isatty(1) != 0, quiet: Bool = false,
                            write: @escaping (String) -> Void = { print($0, terminator: ""); fflush(stdout) }) {
        self.init(isTerminal: isTerminal, quiet: quiet, write: write, now: { ProcessInfo.processInfo.systemUptime },
                  columns: { terminalColumns() })
    }

    /// A reporter that writes nothing: for runs whose progress nobody reads (bench's epochs, ranks other than 0, tests).
    public static func silent() -> ProgressReporter { ProgressReporter(isTerminal: false, write: { _ in }) }

    /// `now` (seconds on a monotonic clock) lets tests drive the redraw limit and the ETA; `columns`, the width.
    init(isTerminal: Bool, quiet: Bool = false, write: @escaping (String) -> Void, now: @escaping () -> Double,
         columns: @escaping () -> Int = { 80 }) {
        self.isTerminal = isTerminal
        self.quiet = quiet
        self.write = write
        self.now = now
        self.columns = columns
    }

    /// Starts epoch `epoch` (1-based) of `of`, which has `batches` batches.
    public func begin(epoch: Int, of epochs: Int, batches: Int) {
        (self.epoch, self.epochs, self.batches) = (epoch, epochs, max(batches, 1))
        started = now()
        lastDrawn = -.infinity
        tenthsReported = 0
        update(batchesDone: 0, runningLoss: .nan, samplesPerSecond: 0, learningRate: nil)
    }

    /// Reports progress after `batchesDone` batches; cheap enough to call after every batch.
    /// - Parameter learningRate: the current rate, shown where it changes over the run (a schedule); nil hides it.
    public func update(batchesDone: Int, runningLoss: Double, samplesPerSecond: Double, learningRate: Float? = nil) {
        guard !quiet else { return }
        self.learningRate = learningRate
        let time = now()
        if isTerminal {
            guard time - lastDrawn >= 0.1 || batchesDone >= batches else { return }
            lastDrawn = time
            write("\r" + bar(batchesDone, runningLoss, samplesPerSecond, elapsed: time - started, width: columns()) + Self.clearToEnd)
            barShown = true
        } else {
            // Not at the end: the summary from `end` stands for the whole epoch.
            let tenths = batchesDone * 10 / batches
            guard tenths > tenthsReported && batchesDone < batches else { return }
            tenthsReported = tenths
            write(line(batchesDone, runningLoss, samplesPerSecond, elapsed: time - started) + "\n")
        }
    }

    /// Removes the bar and writes `summary` on its own line.
    /// Clears a bar left mid-line, for a run that stops inside an epoch.
    public func abandon() {
        if barShown { write("\r" + Self.clearToEnd) }
        barShown = false
    }

    public func end(summary: String) {
        write((barShown ? "\r" + Self.clearToEnd : "") + summary + "\n")
        barShown = false
    }

    /// ANSI "erase to end of line": a shorter redraw must not leave the tail of a longer one behind.
    private static let clearToEnd = "\u{1B}[K"

    /// The line for a log: every part, the fraction as a percentage.
    private func line(_ done: Int, _ loss: Double, _ samplesPerSecond: Double, elapsed: Double) -> String {
        let progress = String(format: "%3.0f%% (%d/%d batches)", fraction(done) * 100, done, batches)
        return (["epoch \(epoch)/\(epochs)", progress] + extras(done, loss, samplesPerSecond, elapsed: elapsed).map(\.text))
            .joined(separator: "  ")
    }

    /// The terminal's line, at most `width - 1` columns: a line that fills the last column makes some terminals
    /// wrap, and then `\r` no longer returns to its start.
    func bar(_ done: Int, _ loss: Double, _ samplesPerSecond: Double, elapsed: Double, width: Int) -> String {
        let room = width - 1, head = "epoch \(epoch)/\(epochs)", count = "\(done)/\(batches)"
        var extras = extras(done, loss, samplesPerSecond, elapsed: elapsed)
        while true {
            let tail = extras.map { "  " + $0.text }.joined()
            // "head [bar] count tail": the bar's brackets and the three spaces around it.
            let cells = min(24, room - head.count - count.count - tail.count - 4)
            if cells >= 8 { return head + " " + TextBar.draw(fraction(done), width: cells) + " " + count + tail }
            guard let dropped = extras.indices.max(by: { extras[$0].drop < extras[$1].drop }) else { break }
            extras.remove(at: dropped)
        }
        return String((head + "  " + count).prefix(max(room, 0)))
    }

    private func fraction(_ done: Int) -> Double { min(Double(done) / Double(batches), 1) }

    /// The optional parts of a status; on a narrow terminal the highest `drop` goes first.
    private func extras(_ done: Int, _ loss: Double, _ samplesPerSecond: Double, elapsed: Double) -> [(text: String, drop: Int)] {
        var parts: [(text: String, drop: Int)] = []
        if loss.isFinite { parts.append((String(format: "loss %.4f", loss), 1)) }
        if let learningRate { parts.append((String(format: "lr %.3g", learningRate), 4)) }
        if samplesPerSecond > 0 { parts.append((String(format: "%.0f samples/s", samplesPerSecond), 3)) }
        if done > 0 && done < batches { parts.append(("ETA " + Self.duration(elapsed / Double(done) * Double(batches - done)), 2)) }
        return parts
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}
