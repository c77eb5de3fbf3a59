import CLKit
import Dispatch

/// How a training step reaches an OpenCL device (`--step-path`): its launches queued one by one, or, where the
/// device offers `cl_khr_command_buffer`, recorded once and replayed as one command. Either way the host first writes
/// the step's record (`StepRecord`), which is all that differs between steps.
public enum StepPath: String, CaseIterable, Sendable {
    case queue, replay
}

/// Both step paths timed on the same step repeated, for `bench`.
public struct StepPaths: Sendable {
    /// One path: wall seconds per step (steps back to back, then waited for) and the host's seconds per step
    /// to submit them.
    public struct Timing: Sendable {
        public let seconds: Double
        public let hostSeconds: Double
    }

    public let queue: Timing
    /// nil where the device has no command buffers, or its driver refused to record the step (`absence` says why).
    public let commandBuffer: Timing?
    public let absence: String?
    /// Commands one recorded step holds (its launches).
    public let recordedCommands: Int?
    /// The path the backend trains on.
    public let path: StepPath

    /// Times `steps` steps of batch 0 on each path, after one untimed step each (the replay path's records the
    /// step), and leaves the backend on its own path. The backend's parameters move meanwhile: callers load fresh
    /// ones before training.
    public static func measure(_ backend: OpenCLBackend, rows: Int, steps: Int) throws -> StepPaths {
        let context = backend.library.context
        func time(_ step: () throws -> Void) throws -> Timing {
            try step()
            try context.finish()
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { try step() }
            let submitted = DispatchTime.now().uptimeNanoseconds
            try context.finish()
            let finished = DispatchTime.now().uptimeNanoseconds
            return Timing(seconds: Double(finished - started) * 1e-9 / Double(steps),
                          hostSeconds: Double(submitted - started) * 1e-9 / Double(steps))
        }
        let own = backend.stepPath
        defer { try? backend.use(own) }
        func step() throws { try backend.trainStep(batch: 0, start: 0, count: rows) }
        try backend.use(.queue)
        let queue = try time(step)
        do {
            try backend.use(.replay)
        } catch OpenCLBackendError.noReplay(let reason) {
            return StepPaths(queue: queue, commandBuffer: nil, absence: reason, recordedCommands: nil, path: own)
        }
        do {
            let replayed = try time(step)
            return StepPaths(queue: queue, commandBuffer: replayed, absence: nil,
                             recordedCommands: backend.recordedCommands(rows: rows), path: own)
        } catch {
            return StepPaths(queue: queue, commandBuffer: nil, absence: "recording the step failed: \(error)",
                             recordedCommands: nil, path: own)
        }
    }
}

extension StepPaths {
    /// selftest's check of the replay path on `context`'s device: three steps of a small convnet with dropout and
    /// Adam, an epoch's short last batch among them, trained on each path from the same start, must end with the
    /// same parameters bit for bit (the same kernels on the same data in the same order). nil where the device has
    /// no command buffers.
    public static func check(context: Context, seed: UInt64) throws -> KernelCheckResult? {
        guard context.device.offersCommandBuffers else { return nil }
        var plan = TrainingPlan()
        plan.model = try Model("conv2d(4, 3, padding=1), relu, maxpool2d(2), flatten, linear(16), relu, dropout(0.25), linear(10)",
                               input: .image(channels: 1, height: 12, width: 12))
        (plan.batchSize, plan.seed) = (16, seed)
        plan.optimizer = OptimizerConfig(kind: Adam.name, learningRate: 0.01)
        var random = SeededGenerator(seed: seed)
        let count = 40
        let data = Dataset(name: "random", images: (0..<(count * 144)).map { _ in UInt8.random(in: 0...255, using: &random) },
                           labels: (0..<count).map { _ in UInt8.random(in: 0..<10, using: &random) }, rows: 12, columns: 12)
        let order = (0..<Int32(count)).shuffled(using: &random)
        let started = DispatchTime.now().uptimeNanoseconds
        let library = try KernelLibrary(context: context)
        func train(_ path: StepPath) throws -> [Float] {
            let backend = try OpenCLBackend(library: library, plan: plan, train: data, test: data, stepPath: path)
            try backend.start(plan)
            try backend.beginEpoch(1, order: order)
            for batch in 0..<3 {
                let start = batch * plan.batchSize
                try backend.trainStep(batch: batch, start: start, count: min(plan.batchSize, count - start),
                                      learningRate: 0.01 / Float(batch + 1))
            }
            return try backend.snapshot().0.values
        }
        let (queued, replayed) = (try train(.queue), try train(.replay))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
        let differences = zip(queued, replayed).map { abs(Double($0) - Double($1)) }
        let first = zip(queued, replayed).enumerated().first { $0.element.0 != $0.element.1 }
        return KernelCheckResult(
            kernel: "training step", variant: "replayed", sizes: "3 steps of 16, 16, 8 rows against the queue's",
            maxAbsoluteError: differences.max() ?? 0,
            maxRelativeError: zip(differences, queued).map { $0 / max(abs(Double($1)), 1e-30) }.max() ?? 0,
            failures: first.map { ["parameter \($0.offset): queued \($0.element.0), replayed \($0.element.1)"] } ?? [],
            seconds: seconds)
    }
}
