import CLKit
import Dispatch

/// The two ways a training step can reach an OpenCL device, timed on the same step repeated: its launches queued
/// one by one, which is what training runs, and, where the device offers `cl_khr_command_buffer`, the step
/// recorded once and replayed as one command. Training keeps the queue: a replay repeats its recorded arguments
/// exactly, so it would need the batch's position, the rate and the step number read from device memory, which
/// the kernels do not do yet; this measures first whether that would pay on the device at hand.
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
    /// The path training ran.
    public let path = "queue"

    /// Times `steps` steps of batch 0 on each path, after one untimed step (or replay) each. The backend's
    /// parameters move meanwhile: callers load fresh ones before training.
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
        let queue = try time { try backend.trainStep(batch: 0, start: 0, count: rows) }
        guard context.device.offersCommandBuffers else {
            return StepPaths(queue: queue, commandBuffer: nil, absence: "the device has no cl_khr_command_buffer",
                             recordedCommands: nil)
        }
        // A streamed step copies its chunk in with buffer writes, which a command buffer does not record.
        guard backend.placement.trainChunk == nil else {
            return StepPaths(queue: queue, commandBuffer: nil, absence: "the training set streams", recordedCommands: nil)
        }
        do {
            let recorded = try context.record { try backend.trainStep(batch: 0, start: 0, count: rows) }
            return StepPaths(queue: queue, commandBuffer: try time { try recorded.enqueue() }, absence: nil,
                             recordedCommands: recorded.commands)
        } catch {
            return StepPaths(queue: queue, commandBuffer: nil, absence: "recording the step failed: \(error)",
                             recordedCommands: nil)
        }
    }
}
