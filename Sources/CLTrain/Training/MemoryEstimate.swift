import CLKit
import Foundation

/// What a run will hold in memory, estimated from the plan before anything is allocated, so a model that cannot
/// fit is refused at once rather than after minutes of swapping or a kill by the kernel. It counts what each path
/// really allocates: the backend's parameters, gradients and optimizer state, every activation for the rows of
/// a pass (`passRows`) and its gradient for a batch, the layers' scratch buffers, the datasets as the backend
/// keeps them; and on the host the loaded data, the copies of the parameters a run makes (its start, a snapshot,
/// a checkpoint being encoded) and the runtime itself (`MemoryTests` holds it to measured peaks).
public struct MemoryEstimate: Sendable {
    public let parameterBytes: Int
    public let activationBytes: Int
    public let datasetBytes: Int
    /// What the host holds besides the backend's buffers.
    public let hostBytes: Int
    /// What the backend allocates: on the device, which for the native backend or a CPU device is the host.
    public var backendBytes: Int { parameterBytes + activationBytes + datasetBytes }
    public var totalBytes: Int { backendBytes + hostBytes }

    /// - Parameter placement: how the OpenCL backend holds the data (`native` is always resident).
    public init(plan: TrainingPlan, train: Dataset, test: Dataset, native: Bool, placement: DataPlacement = .resident) {
        // In Double: a checkpoint may list millions of layers, whose bytes would overflow Int and trap.
        let model = plan.model, rows = Double(passRows(batchSize: plan.batchSize, testCount: test.count, native: native))
        let values = Double(model.parameterCount), states = Double(plan.optimizer.stateNames.count), batch = Double(plan.batchSize)
        // Parameters, gradients and optimizer state, and the buffers (running statistics) beside them.
        parameterBytes = clamped(4 * values * (2 + states) + 4 * Double(model.bufferCount))
        let activations = model.activationSizes.reduce(0.0) { $0 + Double($1) }
        let scratch = model.stages.reduce(0.0) {
            $0 + Double($1.layer.scratchValues(for: $1.input, batch: plan.batchSize, rows: Int(rows), native: native))
        }
        // Activations for a pass's rows, their gradients for a batch, and the losses of an epoch's batches.
        activationBytes = clamped(4 * (activations * rows + activations * batch + scratch + Double(train.count)))
        let samples = train.count + test.count, pixels = train.images.count + test.images.count
        let (trainChunk, testChunk) = native ? (nil, nil) : (placement.trainChunk, placement.testChunk)
        // The native backend normalizes the images to floats once; OpenCL keeps uint8 and an int32 order per sample,
        // or streams chunks.
        datasetBytes = native ? 4 * pixels + samples
            : DataPlacement.deviceBytes(train, chunk: trainChunk) + DataPlacement.deviceBytes(test, chunk: testChunk)
        // The loaded data stays (streamed from a mapped file, only a chunk of it); the parameters and state are on the
        // host at the start, in a snapshot, and up to three times more while a checkpoint is encoded (tensors, their
        // bytes, the file's bytes).
        let data = DataPlacement.hostBytes(train, chunk: trainChunk) + DataPlacement.hostBytes(test, chunk: testChunk)
        hostBytes = clamped(Double(data) + 5 * 4 * values * (1 + states) + Double(Self.runtimeBytes(native: native)))
    }

    /// A prediction on the host (`Prediction`): one image resized to the model's input as bytes and as floats,
    /// every activation of one row and its copy, and the parameters as loaded.
    public init(predicting model: Model) {
        parameterBytes = 4 * model.parameterCount
        activationBytes = clamped(4 * 2 * model.activationSizes.reduce(0.0) { $0 + Double($1) })
        datasetBytes = 5 * model.input.count
        hostBytes = Self.runtimeBytes(native: true)
    }

    /// The process itself, measured as peak resident memory of the smallest runs: about 30 MiB natively
    /// (Swift, OpenBLAS), about 130 MiB with PoCL compiling the kernels (LLVM); rounded up.
    static func runtimeBytes(native: Bool) -> Int { (native ? 64 : 256) << 20 }

    /// Refuses the run when it exceeds `limit` bytes; `place` names the memory, e.g. "the host's available memory".
    /// `advice` says what to change.
    public func check(limit: UInt64, place: String, bytes: Int? = nil, advice: String = MemoryEstimateError.smallerRun) throws {
        guard UInt64(bytes ?? totalBytes) > limit else { return }
        throw MemoryEstimateError(needed: self, bytes: bytes ?? totalBytes, limit: limit, place: place, advice: advice)
    }

    /// Refuses the run where it exceeds `limits`: the backend's buffers against the device's memory (`device`
    /// names it), and what the host holds against the host's limit, the backend's buffers included where the
    /// host computes (`--cpu`, or a CPU device such as PoCL's).
    public func check(_ limits: ComputeDevice.MemoryLimits, device: String?, hostComputes: Bool) throws {
        if let bytes = limits.device, let device {
            try check(limit: bytes, place: limits.devicePlace ?? "the global memory of \(device)", bytes: backendBytes)
        }
        try check(limit: limits.host, place: limits.hostPlace, bytes: hostComputes ? totalBytes : hostBytes)
    }

    /// The host's memory that is free for a new allocation now (`MemAvailable`), or its physical memory where
    /// the kernel does not say.
    public static func availableHostBytes(meminfo: String? = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) -> UInt64 {
        procBytes(meminfo, "MemAvailable") ?? ProcessInfo.processInfo.physicalMemory
    }

    /// Reserves `backendBytes` once and frees them, so that where the estimate fits but the process may not map
    /// that much (an address-space or data limit it could not see), the run stops with a message rather than
    /// with the trap of a failed allocation halfway through building the backend.
    public func reserve() throws {
        guard let block = malloc(max(backendBytes, 1)) else {
            throw MemoryEstimateError(needed: self, bytes: backendBytes, limit: 0, place: "what the process may allocate now",
                                      advice: MemoryEstimateError.smallerRun)
        }
        free(block)
    }
}

/// The `key:   N kB` line of a /proc file (meminfo, status) in bytes, nil where it is missing or unreadable.
func procBytes(_ text: String?, _ key: String) -> UInt64? {
    let line = text?.split(separator: "\n").first { $0.hasPrefix(key + ":") }
    return line?.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }.map { bytes(kilobytes: $0) }
}

/// `kilobytes` as read from /proc, in bytes; a figure past UInt64 (a damaged or injected file) counts as unlimited.
func bytes(kilobytes: UInt64) -> UInt64 {
    let (bytes, overflow) = kilobytes.multipliedReportingOverflow(by: 1024)
    return overflow ? .max : bytes
}

/// `bytes` as an Int small enough that the estimate's sums of a few parts cannot overflow.
private func clamped(_ bytes: Double) -> Int { bytes < Double(Int.max >> 4) ? Int(bytes) : Int.max >> 4 }

/// Rows of activations a backend allocates: a training batch, or the rows one evaluation pass covers (at most a
/// chunk, at most the test set), whichever is more. Both backends size their buffers with this, and so does
/// `MemoryEstimate`.
func passRows(batchSize: Int, testCount: Int, native: Bool) -> Int {
    let chunk = native ? NativeBackend.evaluationRows : OpenCLBackend.evaluationChunk
    return max(batchSize, min(chunk, max(testCount, 1)))
}

public struct MemoryEstimateError: Error, CustomStringConvertible {
    public let needed: MemoryEstimate
    /// The part of the estimate that did not fit `place`.
    public let bytes: Int
    public let limit: UInt64
    public let place: String
    public let advice: String
    public static let smallerRun = "use a smaller --model (or --hidden) or --batch-size"

    public var description: String {
        // In MiB below a GiB: a CLTRAIN_DEVICE_MEMORY_LIMIT of a few MiB would otherwise read "0.0 GiB".
        func size(_ bytes: Int) -> String {
            bytes < 1 << 30 ? String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
                : String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
        }
        return "this run needs about \(size(bytes)) (parameters with gradients and optimizer state "
            + "\(size(needed.parameterBytes)), activations \(size(needed.activationBytes)), data \(size(needed.datasetBytes)), "
            + "host copies and runtime \(size(needed.hostBytes))) but \(place) is \(size(Int(clamping: limit))); \(advice)"
    }
}
