import CLKit
import Foundation

/// One kernel launch of a training step: the median of its times over many steps, from profiling events or,
/// where the device's counters are implausible (see `Context.measure`), the wall clock.
public struct KernelTiming: Encodable, Sendable {
    public let kernel: String
    public let shape: String
    public let seconds: Double
    /// Arithmetic rate for the products, memory rate for the rest where it is known.
    public let gigaflopsPerSecond: Double?
    public let gigabytesPerSecond: Double?
    public let timing: TimingSource
    /// The tuning key of a matmul launch, or of a grid launch.
    public var matmul: MatmulShape? = nil
    public var grid: GridShape? = nil
}

/// Collects a step's launches for `KernelBenchmark`. The launches between two `KernelLibrary.annotate` calls
/// are one piece of work, described once.
public final class LaunchRecorder {
    public struct Work {
        let shape: String
        let flops: Double?
        let bytes: Double?
    }

    /// Waits for each launch and times it on the host's clock, for devices whose counters cannot be trusted.
    let waitsForEachLaunch: Bool
    var work = Work(shape: "", flops: nil, bytes: nil)
    private(set) var launches: [(kernel: String, work: Work, matmul: MatmulShape?, grid: GridShape?, seconds: () throws -> Double)] = []
    private var mark = DispatchTime.now().uptimeNanoseconds

    init(waitsForEachLaunch: Bool) { self.waitsForEachLaunch = waitsForEachLaunch }

    func record(_ kernel: String, _ event: Event?, matmul: MatmulShape?, grid: GridShape?, context: Context) throws {
        // A matmul launch's arithmetic is its shape's: a stage's annotation counts one product, and matmul_backward
        // may run two.
        let described = matmul.map { Work(shape: work.shape, flops: $0.flops, bytes: nil) } ?? work
        if waitsForEachLaunch {
            try context.finish()
            let now = DispatchTime.now().uptimeNanoseconds, wall = Double(now - mark) * 1e-9
            mark = now
            launches.append((kernel, described, matmul, grid, { wall }))
        } else if let event {
            launches.append((kernel, described, matmul, grid, event.seconds))
        }
    }
}

/// Times every kernel a training step of a model launches, at the shapes the step launches it with, by running
/// real steps of `OpenCLBackend` on a profiling queue: whatever the model, the table is its step.
public enum KernelBenchmark {
    /// The median time of each launch of a step over `steps` steps, after one untimed step, on `context`'s device;
    /// the data held as `placement` says (`ComputeDevice.checkMemory`).
    public static func run(context: Context, plan: TrainingPlan, train: Dataset, test: Dataset,
                           steps: Int = 50, tuning: Tuning = Tuning(), placement: DataPlacement = .resident) throws -> [KernelTiming] {
        let profiled = try Context(device: context.device, profiling: true, programCache: context.programCache)
        let library = try KernelLibrary(context: profiled, tuning: tuning)
        return try time(try stepper(library: library, plan: plan, train: train, test: test, placement: placement),
                        library: library, steps: steps)
    }

    /// A backend on `library` with the plan's initial parameters and an epoch begun, and the rows of its steps:
    /// what `time` runs.
    static func stepper(library: KernelLibrary, plan: TrainingPlan, train: Dataset, test: Dataset,
                        placement: DataPlacement = .resident) throws -> (backend: OpenCLBackend, rows: Int) {
        let backend = try OpenCLBackend(library: library, plan: plan, train: train, test: test, placement: placement)
        try backend.start(plan)
        try backend.beginEpoch(order: (0..<Int32(train.count)).map { $0 })
        return (backend, min(plan.batchSize, train.count))
    }

    /// The median time of each launch of `stepper`'s step over `steps` steps, after one untimed step.
    static func time(_ stepper: (backend: OpenCLBackend, rows: Int), library: KernelLibrary,
                     steps: Int) throws -> [KernelTiming] {
        let (backend, rows, profiled) = (stepper.backend, stepper.rows, library.context)
        func record(waiting: Bool) throws -> (LaunchRecorder, wall: Double) {
            try backend.trainStep(batch: 0, start: 0, count: rows)
            try profiled.finish()
            let recorder = LaunchRecorder(waitsForEachLaunch: waiting)
            library.recorder = recorder
            defer { library.recorder = nil }
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { try backend.trainStep(batch: 0, start: 0, count: rows) }
            try profiled.finish()
            return (recorder, Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9)
        }
        var (recorder, wall) = try record(waiting: false)
        let profiledTotal = try recorder.launches.reduce(0) { try $0 + $1.seconds() }
        let shortest = try recorder.launches.map { try $0.seconds() }.min() ?? 0
        let timing: TimingSource = Context.plausible(profiled: shortest, wall: 1) && Context.plausible(profiled: profiledTotal, wall: wall)
            ? .profiling : .wallClock
        if timing == .wallClock { (recorder, wall) = try record(waiting: true) }

        let perStep = recorder.launches.count / steps
        return try (0..<perStep).map { position in
            let launch = recorder.launches[position]
            let times = try stride(from: position, to: recorder.launches.count, by: perStep).map {
                try recorder.launches[$0].seconds()
            }
            let median = times.sorted()[times.count / 2]
            return KernelTiming(kernel: launch.kernel, shape: launch.work.shape, seconds: median,
                                gigaflopsPerSecond: launch.work.flops.map { $0 / median / 1e9 },
                                gigabytesPerSecond: launch.work.bytes.map { $0 / median / 1e9 }, timing: timing,
                                matmul: launch.matmul, grid: launch.grid)
        }
    }
}
