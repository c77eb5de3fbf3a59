import CLKit
import Foundation

/// `cltrain bench`'s results: kernel timings at the training shapes, launches per step, and timed epochs.
public struct BenchReport: JSONReport {
    public let device: String
    public let data: String
    public let kernels: [KernelTiming]
    /// Kernel launches one training step makes (OpenCL only).
    public let launchesPerStep: Int?
    /// Host time to queue one training step (OpenCL only): a floor for a step on a device that outruns the host.
    public let hostSecondsPerStep: Double?
    /// The timed epochs, after the warm-up.
    public let epochs: [EpochMetrics]
    /// Which matmul configurations the run used (`RunTuning.summary`); nil for `--cpu`.
    public let tuning: String?
    /// What streaming the training set cost over every step the bench ran; nil where it is resident.
    public let streaming: StreamStatistics?
    /// What the timed epochs' steps spent computing and exchanging gradients, where several replicas trained.
    public let exchange: ExchangeStatistics?
    /// A step's time queued and replayed from a command buffer (OpenCL only).
    public let stepPaths: StepPaths?

    public init(device: String, data: String, kernels: [KernelTiming], launchesPerStep: Int?, hostSecondsPerStep: Double?,
                epochs: [EpochMetrics], tuning: String? = nil, streaming: StreamStatistics? = nil,
                exchange: ExchangeStatistics? = nil, stepPaths: StepPaths? = nil) {
        self.tuning = tuning
        self.stepPaths = stepPaths
        self.streaming = streaming
        self.exchange = exchange
        self.hostSecondsPerStep = hostSecondsPerStep
        self.device = device
        self.data = data
        self.kernels = kernels
        self.launchesPerStep = launchesPerStep
        self.epochs = epochs
    }

    /// The median of the timed epochs' seconds (training and evaluation).
    public var secondsPerEpoch: Double { median(epochs.map(\.seconds)) }
    public var samplesPerSecond: Double { median(epochs.map(\.samplesPerSecond)) }

    private func median(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.sorted()[values.count / 2] }

    /// A kernel's JSON row: its shape as numbers beside the table's label.
    private struct Kernel: Encodable {
        let kernel: String, shape: [Int], detail: String, seconds: Double
        let gigaflopsPerSecond: Double?, gigabytesPerSecond: Double?
    }

    /// The upload's cost per training step, split as `StreamStatistics` measures it.
    private struct Streaming: Encodable {
        let chunkSamples: Int, chunksPerEpoch: Int, uploadSecondsPerStep: Double, hostSecondsPerStep: Double
        let transferSecondsPerStep: Double

        init(_ statistics: StreamStatistics) {
            let steps = Double(max(statistics.steps, 1))
            (chunkSamples, chunksPerEpoch) = (statistics.chunkRows, statistics.chunksPerEpoch)
            (hostSecondsPerStep, transferSecondsPerStep) = (statistics.hostSeconds / steps, statistics.transferSeconds / steps)
            uploadSecondsPerStep = hostSecondsPerStep + transferSecondsPerStep
        }

        enum CodingKeys: String, CodingKey {
            case chunkSamples = "chunk_samples", chunksPerEpoch = "chunks_per_epoch", uploadSecondsPerStep = "upload_seconds_per_step"
            case hostSecondsPerStep = "host_seconds_per_step", transferSecondsPerStep = "transfer_seconds_per_step"
        }
    }

    enum CodingKeys: String, CodingKey {
        case device, data, kernels, launchesPerStep = "launches_per_step", hostSecondsPerStep = "host_seconds_per_step", epochs
        case secondsPerEpoch = "seconds_per_epoch", samplesPerSecond = "samples_per_second", tuning, streaming
        case computeSecondsPerStep = "compute_seconds_per_step", allReduceSecondsPerStep = "all_reduce_seconds_per_step"
        case updateSecondsPerStep = "update_seconds_per_step", allReduceBytes = "all_reduce_bytes_per_step"
        case stepPath = "step_path", stepPaths = "step_paths"
    }

    /// `step_paths`: each path's seconds and host seconds per step; `command_buffer` null with the reason beside it.
    private struct Paths: Encodable {
        struct Path: Encodable {
            let secondsPerStep: Double, hostSecondsPerStep: Double
            enum CodingKeys: String, CodingKey { case secondsPerStep = "seconds_per_step", hostSecondsPerStep = "host_seconds_per_step" }
        }
        let queue: Path, commandBuffer: Path?, commandBufferAbsence: String?, recordedCommands: Int?

        init(_ paths: StepPaths) {
            func path(_ timing: StepPaths.Timing) -> Path { Path(secondsPerStep: timing.seconds, hostSecondsPerStep: timing.hostSeconds) }
            (queue, commandBuffer) = (path(paths.queue), paths.commandBuffer.map(path))
            (commandBufferAbsence, recordedCommands) = (paths.absence, paths.recordedCommands)
        }

        enum CodingKeys: String, CodingKey {
            case queue, commandBuffer = "command_buffer", commandBufferAbsence = "command_buffer_absence"
            case recordedCommands = "recorded_commands"
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(queue, forKey: .queue)
            try container.encode(commandBuffer, forKey: .commandBuffer)  // null where absent, with the reason
            try container.encodeIfPresent(commandBufferAbsence, forKey: .commandBufferAbsence)
            try container.encodeIfPresent(recordedCommands, forKey: .recordedCommands)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(device, forKey: .device)
        try container.encode(data, forKey: .data)
        try container.encode(kernels.map {
            Kernel(kernel: $0.kernel, shape: shapeNumbers($0.shape), detail: $0.shape, seconds: $0.seconds,
                   gigaflopsPerSecond: $0.gigaflopsPerSecond, gigabytesPerSecond: $0.gigabytesPerSecond)
        }, forKey: .kernels)
        try container.encodeIfPresent(launchesPerStep, forKey: .launchesPerStep)
        try container.encodeIfPresent(hostSecondsPerStep, forKey: .hostSecondsPerStep)
        try container.encode(epochs, forKey: .epochs)
        try container.encode(secondsPerEpoch, forKey: .secondsPerEpoch)
        try container.encode(samplesPerSecond, forKey: .samplesPerSecond)
        try container.encodeIfPresent(tuning, forKey: .tuning)
        try container.encodeIfPresent(streaming.map(Streaming.init), forKey: .streaming)
        if let stepPaths {
            try container.encode(stepPaths.path.rawValue, forKey: .stepPath)
            try container.encode(Paths(stepPaths), forKey: .stepPaths)
        }
        if let exchange {
            try container.encode(exchange.computeSecondsPerStep, forKey: .computeSecondsPerStep)
            try container.encode(exchange.allReduceSecondsPerStep, forKey: .allReduceSecondsPerStep)
            try container.encode(exchange.updateSecondsPerStep, forKey: .updateSecondsPerStep)
            try container.encode(exchange.bytesPerStep, forKey: .allReduceBytes)
        }
    }

    public func text() -> String {
        var lines = ["Device: \(device)", "Data:   \(data)"] + (tuning.map { ["Tuning: \($0)"] } ?? [])
        if !kernels.isEmpty {
            lines.append("")
            // The shape column is as wide as its longest entry: a stage's shape names its layer too.
            let width = max(kernels.map(\.shape.count).max() ?? 0, 5) + 2
            let nameWidth = max(kernels.map(\.kernel.count).max() ?? 0, 24) + 2
            lines.append("kernel".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                         + "shape".padding(toLength: width, withPad: " ", startingAt: 0) + "    time        rate")
            for k in kernels {
                let rate = k.gigaflopsPerSecond.map { String(format: "%7.1f GFLOP/s", $0) }
                    ?? k.gigabytesPerSecond.map { String(format: "%7.1f GB/s", $0) } ?? ""
                lines.append(k.kernel.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                    + k.shape.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(format: "%8.1f µs  ", k.seconds * 1e6) + rate)
            }
            let step = kernels.reduce(0) { $0 + $1.seconds }
            lines.append(String(format: "sum of one step's kernels: %.1f µs", step * 1e6))
            if kernels.contains(where: { $0.timing == .wallClock }) {
                lines.append("(timed by the wall clock from the first implausible profiling counter on: "
                             + "the figures include launch and wait overheads)")
            }
        }
        lines.append("")
        if let launchesPerStep {
            let replayed = stepPaths?.path == .replay
            lines.append("launches per training step: \(launchesPerStep)" + (replayed ? " (the replay of the recorded step)" : ""))
        }
        if let hostSecondsPerStep, let launchesPerStep {
            if stepPaths?.path == .replay {
                lines.append(String(format: "host time to submit a step: %.1f µs (its record and one replay)", hostSecondsPerStep * 1e6))
            } else {
                lines.append(String(format: "host time to queue a step: %.1f µs (%.1f µs a launch)", hostSecondsPerStep * 1e6,
                                    hostSecondsPerStep * 1e6 / Double(max(launchesPerStep, 1))))
            }
        }
        if let stepPaths {
            let taken = "; training takes this path (--step-path \(stepPaths.path.rawValue))"
            lines.append(String(format: "a step on the queue: %.1f µs (host %.1f µs)", stepPaths.queue.seconds * 1e6,
                                stepPaths.queue.hostSeconds * 1e6) + (stepPaths.path == .queue ? taken : ""))
            if let replay = stepPaths.commandBuffer {
                lines.append(String(format: "the same step replayed from a command buffer of %d commands: %.1f µs (host %.1f µs), %.2f× the queue's",
                                    stepPaths.recordedCommands ?? 0, replay.seconds * 1e6, replay.hostSeconds * 1e6,
                                    replay.seconds / stepPaths.queue.seconds)
                             + (stepPaths.path == .replay ? taken : ""))
            } else if let absence = stepPaths.absence {
                lines.append("no command-buffer replay: \(absence)")
            }
        }
        if let streaming = streaming.map(Streaming.init) {
            lines.append("training set streamed in chunks of \(streaming.chunkSamples) samples, \(streaming.chunksPerEpoch) an epoch")
            lines.append(String(format: "upload per training step: %.1f µs (host %.1f µs reading the chunks' samples, device "
                                + "%.1f µs copying them, both beside the queued steps)", streaming.uploadSecondsPerStep * 1e6,
                                streaming.hostSecondsPerStep * 1e6, streaming.transferSecondsPerStep * 1e6))
        }
        if let exchange {
            lines.append(String(format: "per step: compute %.3f ms, all-reduce %.3f ms of %d bytes per rank, update %.3f ms",
                                exchange.computeSecondsPerStep * 1e3, exchange.allReduceSecondsPerStep * 1e3, exchange.bytesPerStep,
                                exchange.updateSecondsPerStep * 1e3))
        }
        for e in epochs {
            lines.append(String(format: "epoch %d: %.3f s (training and evaluation), %.0f samples/s", e.epoch, e.seconds, e.samplesPerSecond))
        }
        if !epochs.isEmpty { lines.append(String(format: "seconds per epoch (median): %.3f", secondsPerEpoch)) }
        return lines.joined(separator: "\n")
    }
}
