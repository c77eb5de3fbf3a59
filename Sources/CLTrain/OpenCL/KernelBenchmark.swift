import CLKit
import Foundation

/// One kernel launch of a training step: the median of its profiled times over many steps.
public struct KernelTiming: Encodable, Sendable {
    public let kernel: String
    public let shape: String
    public let seconds: Double
    /// Arithmetic rate for the products, memory rate for the rest where it is known.
    public let gigaflopsPerSecond: Double?
    public let gigabytesPerSecond: Double?
}

/// The launches between two `KernelLibrary.annotate` calls are one piece of work, described once.
public final class LaunchRecorder {
    public struct Work {
        let shape: String
        let flops: Double?
        let bytes: Double?
    }

    var work = Work(shape: "", flops: nil, bytes: nil)
    var launches: [(kernel: String, work: Work, event: Event)] = []
}

/// Times every kernel a training step of a model launches, at the shapes the step launches it with, by running
/// real steps of `OpenCLBackend` on a profiling queue: whatever the model, the table is its step.
public enum KernelBenchmark {
    /// The median device time of each launch of a step over `steps` steps, after one untimed step.
    public static func run(device: Device, plan: TrainingPlan, train: Dataset, test: Dataset,
                           steps: Int = 50) throws -> [KernelTiming] {
        let library = try KernelLibrary(context: Context(device: device, profiling: true))
        let backend = try OpenCLBackend(library: library, plan: plan, train: train, test: test)
        var generator = SeededGenerator(seed: plan.seed)
        try backend.load(Parameters(initializing: plan.model, using: &generator),
                         OptimizerState(fresh: plan.optimizer, parameterCount: plan.model.parameterCount))
        try backend.beginEpoch(order: (0..<Int32(train.count)).map { $0 })
        let rows = min(plan.batchSize, train.count)
        try backend.trainStep(batch: 0, start: 0, count: rows)
        let recorder = LaunchRecorder()
        library.recorder = recorder
        for _ in 0..<steps { try backend.trainStep(batch: 0, start: 0, count: rows) }
        try library.context.finish()
        library.recorder = nil

        let perStep = recorder.launches.count / steps
        return try (0..<perStep).map { position in
            let launch = recorder.launches[position]
            let times = try stride(from: position, to: recorder.launches.count, by: perStep).map {
                try recorder.launches[$0].event.seconds()
            }
            let median = times.sorted()[times.count / 2]
            return KernelTiming(kernel: launch.kernel, shape: launch.work.shape, seconds: median,
                                gigaflopsPerSecond: launch.work.flops.map { $0 / median / 1e9 },
                                gigabytesPerSecond: launch.work.bytes.map { $0 / median / 1e9 })
        }
    }
}
