import Testing
@testable import CLTrain

@Suite struct ReportProgressTests {
    /// Runs one epoch of `batches` batches, each taking `secondsPerBatch` on a fake clock, and returns what was written.
    func epoch(terminal: Bool, batches: Int, secondsPerBatch: Double) -> [String] {
        var written: [String] = []
        var clock = 100.0
        let reporter = ProgressReporter(isTerminal: terminal, write: { written.append($0) }, now: { clock })
        reporter.begin(epoch: 2, of: 5, batches: batches)
        for done in 1...batches {
            clock += secondsPerBatch
            reporter.update(batchesDone: done, runningLoss: 0.5, samplesPerSecond: 12_800)
        }
        reporter.end(summary: "epoch 2/5 done")
        return written
    }

    @Test func withoutTerminalWritesAPlainLineEveryTenth() {
        let output = epoch(terminal: false, batches: 938, secondsPerBatch: 0.005).joined()
        #expect(!output.contains("\r") && !output.contains("\u{1B}"))
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 11 && lines.last == "")
        for (index, line) in lines.prefix(9).enumerated() {
            #expect(line.hasPrefix("epoch 2/5") && line.contains("\((index + 1) * 10)%") && line.contains("loss 0.5000"))
            #expect(line.contains("12800 samples/s") && line.contains("ETA 0:0"))
        }
        #expect(lines[9] == "epoch 2/5 done")
    }

    @Test func withoutTerminalAShortEpochWritesOneLinePerBatchButTheLast() {
        let lines = epoch(terminal: false, batches: 3, secondsPerBatch: 1).joined().split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].contains("(1/3 batches)") && lines[1].contains("(2/3 batches)") && lines[2] == "epoch 2/5 done")
    }

    @Test func onATerminalRedrawsInPlaceAtMostTenTimesASecond() {
        // 2,000 batches in 2 seconds: at most ~20 redraws, plus the first and the last.
        let writes = epoch(terminal: true, batches: 2000, secondsPerBatch: 0.001)
        let redraws = writes.dropLast()
        #expect(redraws.allSatisfy { $0.hasPrefix("\r") && !$0.contains("\n") })
        #expect((15...22).contains(redraws.count))
        #expect(redraws.last!.contains("2000/2000") && redraws.last!.contains("[████████████████████████]"))
        #expect(writes.last == "\r\u{1B}[Kepoch 2/5 done\n")
    }

    /// Every redraw fits in one column less than the terminal, whatever its width; narrower ones lose parts.
    @Test func barFitsTheTerminal() {
        func redraws(columns: Int) -> [String] {
            var written: [String] = []
            var clock = 0.0
            let reporter = ProgressReporter(isTerminal: true, write: { written.append($0) }, now: { clock }, columns: { columns })
            reporter.begin(epoch: 10, of: 100, batches: 9380)
            for done in stride(from: 1, through: 9380, by: 97) {
                clock += 1
                reporter.update(batchesDone: done, runningLoss: 2.3026, samplesPerSecond: 123_456)
            }
            return written.map { $0.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\u{1B}[K", with: "") }
        }
        for columns in [1, 10, 20, 30, 40, 59, 60, 61, 80, 120, 300] {
            let lines = redraws(columns: columns)
            #expect(lines.allSatisfy { $0.count <= columns - 1 || columns == 1 && $0.isEmpty },
                    "\(columns) columns: \(lines.map(\.count).max()!) drawn")
        }
        let wide = redraws(columns: 120)[5]
        #expect(wide.contains("samples/s") && wide.contains("ETA") && wide.contains("loss") && wide.contains(String(repeating: " ", count: 5) + "]"))
        let sixty = redraws(columns: 60)[5]
        #expect(sixty.contains("[") && sixty.contains("loss 2.3026") && !sixty.contains("samples/s"), "\(sixty)")
        #expect(redraws(columns: 30)[5] == "epoch 10/100  389/9380")
    }

    @Test func quietWritesOnlyTheEpochLines() {
        for terminal in [true, false] {
            var written: [String] = []
            let reporter = ProgressReporter(isTerminal: terminal, quiet: true, write: { written.append($0) }, now: { 0 })
            reporter.begin(epoch: 1, of: 1, batches: 10)
            for done in 1...10 { reporter.update(batchesDone: done, runningLoss: 1, samplesPerSecond: 1) }
            reporter.end(summary: "epoch 1/1 done")
            #expect(written == ["epoch 1/1 done\n"])
        }
    }

    @Test func barFillsInEighthsAndKeepsItsWidth() {
        #expect(TextBar.draw(0) == "[" + String(repeating: " ", count: 24) + "]")
        #expect(TextBar.draw(0.5, width: 4) == "[██  ]")
        #expect(TextBar.draw(0.5 + 1 / 32, width: 4) == "[██▏ ]")
        #expect((0...100).allSatisfy { TextBar.draw(Double($0) / 100).count == 26 })
    }

    @Test func durations() {
        #expect(ProgressReporter.duration(4.2) == "0:05")
        #expect(ProgressReporter.duration(3_725) == "1:02:05")
    }
}
