import CLKit

/// Where a command computes: an OpenCL device, or the host (`--cpu`).
public enum ComputeDevice: CustomStringConvertible {
    case openCL(Context)
    case host

    /// Opens the selected OpenCL device, or the host when `cpu` is set (without touching OpenCL at all).
    /// Programs are cached in `programCache` (by default the user's, see `ProgramCache.user`).
    public static func open(_ selection: DeviceSelection, cpu: Bool, profiling: Bool = false,
                            programCache: ProgramCache? = .user()) throws -> ComputeDevice {
        if cpu { return try host() }
        let device = try selection.resolve(in: OpenCL.allDevices())
        return .openCL(try Context(device: device, profiling: profiling, programCache: programCache))
    }

    /// The host, once OpenBLAS is loaded: a missing OpenBLAS stops a `--cpu` run before anything is printed.
    public static func host() throws -> ComputeDevice {
        try OpenBLAS.load()
        return .host
    }

    /// "OpenCL NAME (PLATFORM)" or "native CPU (BLAS)", for the run's header before anything is allocated.
    public var description: String {
        switch self {
        case .host: return NativeBackend.description
        case .openCL(let context): return OpenCLBackend.description(context.device)
        }
    }

    /// Memory limits a run must fit: the device's global memory, and the host's available memory where the run
    /// computes on the host or on a CPU device (PoCL's memory is the host's). Tests inject their own.
    public struct MemoryLimits: Sendable {
        public var device: UInt64?
        public var host: UInt64

        public init(device: UInt64?, host: UInt64) {
            self.device = device
            self.host = host
        }
    }

    public var memoryLimits: MemoryLimits {
        switch self {
        case .host: return MemoryLimits(device: nil, host: MemoryEstimate.availableHostBytes())
        case .openCL(let context):
            let device = context.device
            return MemoryLimits(device: device.globalMemoryBytes,
                                host: device.kind == .cpu ? MemoryEstimate.availableHostBytes() : .max)
        }
    }

    /// A backend that trains `plan` on this device; everything it needs is allocated and compiled here, after the
    /// whole run's memory is estimated and checked against `limits`.
    /// - Parameter tuning: the matmul configurations tuned for the device (see `RunTuning`); none by default.
    public func backend(plan: TrainingPlan, train: Dataset, test: Dataset, limits: MemoryLimits? = nil,
                        tuning: Tuning = Tuning()) throws -> TrainingBackend {
        let limits = limits ?? memoryLimits
        let estimate = MemoryEstimate(plan: plan, train: train, test: test, native: { if case .host = self { true } else { false } }())
        if let device = limits.device, case .openCL(let context) = self {
            try estimate.check(limit: device, place: "the global memory of \(context.device.name)")
        }
        try estimate.check(limit: limits.host, place: "the host's available memory")
        switch self {
        case .host:
            return try NativeBackend(plan: plan, train: train, test: test)
        case .openCL(let context):
            return try OpenCLBackend(library: KernelLibrary(context: context, tuning: tuning), plan: plan, train: train, test: test)
        }
    }
}
