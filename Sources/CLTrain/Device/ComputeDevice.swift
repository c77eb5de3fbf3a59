import CLKit
import Foundation

/// Where a command computes: an OpenCL device, or the host (`--cpu`).
public enum ComputeDevice: CustomStringConvertible {
    case openCL(Context)
    case host

    /// Opens the selected OpenCL device, or the host when `cpu` is set (without touching OpenCL at all).
    /// Programs are cached in `programCache` (by default the user's, see `ProgramCache.user`).
    public static func open(_ selection: DeviceSelection, cpu: Bool, profiling: Bool = false,
                            programCache: ProgramCache? = .user()) throws -> ComputeDevice {
        if cpu { return try host() }
        return try open(selection.resolve(in: OpenCL.allDevices()), profiling: profiling, programCache: programCache)
    }

    /// Opens `device`, as `open(_:cpu:profiling:programCache:)` does.
    public static func open(_ device: Device, profiling: Bool = false, programCache: ProgramCache? = .user()) throws -> ComputeDevice {
        // A bad value stops the run here, before anything is printed about it.
        _ = try DeviceMemoryLimit.bytes()
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

    /// Memory limits a run must fit: the device's global memory (or less, `CLTRAIN_DEVICE_MEMORY_LIMIT`), and what
    /// the host leaves the process (`HostMemory.limit`) where the run computes on the host or on a CPU device
    /// (PoCL's memory is the host's), with the words that name them. Tests inject their own.
    public struct MemoryLimits: Sendable {
        public var device: UInt64?
        public var host: UInt64
        public var hostPlace: String
        /// Names `device` in a refusal where it is not the device's own memory.
        public var devicePlace: String?

        public init(device: UInt64?, host: UInt64, hostPlace: String = "the host's available memory", devicePlace: String? = nil) {
            self.device = device
            self.host = host
            self.hostPlace = hostPlace
            self.devicePlace = devicePlace
        }

        /// The host's limit alone, for work that computes on the host (`predict`).
        public static var host: MemoryLimits {
            let host = HostMemory.limit()
            return MemoryLimits(device: nil, host: host.bytes, hostPlace: host.place)
        }
    }

    /// This device's limits: an OpenCL device's global memory, less where `CLTRAIN_DEVICE_MEMORY_LIMIT` says so
    /// (not read with `--cpu`), and the host's.
    public func memoryLimits(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MemoryLimits {
        let host = HostMemory.limit()
        switch self {
        case .host: return MemoryLimits(device: nil, host: host.bytes, hostPlace: host.place)
        case .openCL(let context):
            var limits = MemoryLimits(device: context.device.globalMemoryBytes, host: host.bytes, hostPlace: host.place)
            if let cap = try DeviceMemoryLimit.bytes(environment: environment), cap < context.device.globalMemoryBytes {
                limits.device = cap
                limits.devicePlace = "\(DeviceMemoryLimit.variable) for \(context.device.name)"
            }
            return limits
        }
    }

    /// Refuses `plan` on this device before anything is allocated where its estimate exceeds `limits` (by default
    /// the device's and the host's own), and says how the data is held on the device: resident, or streamed where
    /// it does not fit (`DataPlacement`). Every command that allocates for a plan calls it first (`backend` does).
    @discardableResult
    public func checkMemory(plan: TrainingPlan, train: Dataset, test: Dataset, limits: MemoryLimits? = nil) throws -> DataPlacement {
        let limits = try limits ?? memoryLimits()
        switch self {
        case .host:
            let estimate = MemoryEstimate(plan: plan, train: train, test: test, native: true)
            try estimate.check(limits, device: nil, hostComputes: true)
            try estimate.reserve()
            return .resident
        case .openCL(let context):
            let placement = DataPlacement(plan: plan, train: train, test: test, deviceBytes: limits.device,
                                          allocationBytes: context.device.maxAllocationBytes)
            let estimate = MemoryEstimate(plan: plan, train: train, test: test, native: false, placement: placement)
            let hostComputes = context.device.kind == .cpu
            try estimate.check(limits, device: context.device.name, hostComputes: hostComputes)
            if hostComputes { try estimate.reserve() }
            return placement
        }
    }

    /// A backend that trains `plan` on this device; everything it needs is allocated and compiled here, after the
    /// whole run's memory is estimated and checked against `limits`.
    /// - Parameter tuning: the matmul configurations tuned for the device (see `RunTuning`); none by default.
    /// - Parameter stepPath: how an OpenCL device's steps reach it; the host has only its own.
    public func backend(plan: TrainingPlan, train: Dataset, test: Dataset, limits: MemoryLimits? = nil,
                        tuning: Tuning = Tuning(), stepPath: StepPath = .queue) throws -> any ReplicaBackend {
        let placement = try checkMemory(plan: plan, train: train, test: test, limits: limits)
        switch self {
        case .host:
            if stepPath == .replay { throw OpenCLBackendError.noReplay("--cpu trains on the host, without OpenCL") }
            return try NativeBackend(plan: plan, train: train, test: test)
        case .openCL(let context):
            return try OpenCLBackend(library: KernelLibrary(context: context, tuning: tuning), plan: plan, train: train, test: test,
                                     placement: placement, stepPath: stepPath)
        }
    }
}
