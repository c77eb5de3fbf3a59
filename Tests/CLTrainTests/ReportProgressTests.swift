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
