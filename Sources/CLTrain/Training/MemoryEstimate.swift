import CLKit
import Foundation

/// What a run will hold in memory, estimated from the plan before anything is allocated, so a model that cannot
/// fit is refused at once rather than after minutes of swapping: parameters, gradients and optimizer state,
/// every activation and its gradient for a batch (and for the evaluation's larger chunks), the layers' scratch
/// buffers, and the datasets as the backend keeps them.
public struct MemoryEstimate: Sendable {
    public let parameterBytes: Int
    public let activationBytes: Int
    public let datasetBytes: Int
    public var totalBytes: Int { parameterBytes + activationBytes + datasetBytes }

    public init(plan: TrainingPlan, train: Dataset, test: Dataset, native: Bool) {
        // A backend sizes its activations for the larger of a batch and the rows it evaluates at once.
        let evaluationRows = native ? NativeBackend.evaluationRows : OpenCLBackend.evaluationChunk
        let model = plan.model, rows = max(plan.batchSize, min(evaluationRows, max(test.count, 1)))
        parameterBytes = 4 * model.parameterCount * (2 + plan.optimizer.stateNames.count)
        let activations = model.activationSizes.reduce(0, +)
        let scratch = model.stages.reduce(0) { $0 + $1.layer.scratchValues(for: $1.input, batch: plan.batchSize, rows: rows, native: native) }
        activationBytes = 4 * (activations * rows + activations * plan.batchSize + scratch)
        let samples = train.count + test.count, pixels = train.images.count + test.images.count
        // The native backend normalizes the images to floats once; OpenCL keeps uint8 and an int32 order per sample.
        datasetBytes = native ? 4 * pixels + samples : pixels + 5 * samples
    }

    /// Refuses the run when it exceeds `limit` bytes; `place` names the memory, e.g. "the host's available memory".
    public func check(limit: UInt64, place: String) throws {
        guard UInt64(totalBytes) > limit else { return }
        throw MemoryEstimateError(needed: self, limit: limit, place: place)
    }

    /// The host's memory that is free for a new allocation now (`MemAvailable`), or its physical memory where
    /// the kernel does not say.
    public static func availableHostBytes(meminfo: String? = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) -> UInt64 {
        let line = meminfo?.split(separator: "\n").first { $0.hasPrefix("MemAvailable:") }
        if let kilobytes = line?.split(separator: " ").dropFirst().first.flatMap({ UInt64($0) }) { return kilobytes * 1024 }
        return ProcessInfo.processInfo.physicalMemory
    }
}

public struct MemoryEstimateError: Error, CustomStringConvertible {
    public let needed: MemoryEstimate
    public let limit: UInt64
    public let place: String

    public var description: String {
        func gib(_ bytes: Int) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        return "this run needs about \(gib(needed.totalBytes)) (parameters with gradients and optimizer state "
            + "\(gib(needed.parameterBytes)), activations \(gib(needed.activationBytes)), data \(gib(needed.datasetBytes))) "
            + "but \(place) is \(gib(Int(clamping: limit))); use a smaller --model (or --hidden) or --batch-size"
    }
}
