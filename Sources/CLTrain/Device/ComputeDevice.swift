import CLKit

/// Where a command computes: an OpenCL device, or the host (`--cpu`).
public enum ComputeDevice {
    case openCL(Context)
    case host

    /// Opens the selected OpenCL device, or the host when `cpu` is set (without touching OpenCL at all).
    /// Programs are cached in `programCache` (by default the user's, see `ProgramCache.user`).
    public static func open(_ selection: DeviceSelection, cpu: Bool, profiling: Bool = false,
                            programCache: ProgramCache? = .user()) throws -> ComputeDevice {
        if cpu { return .host }
        let device = try selection.resolve(in: OpenCL.allDevices())
        return .openCL(try Context(device: device, profiling: profiling, programCache: programCache))
    }

    /// A backend that trains `plan` on this device; everything it needs is allocated and compiled here.
    public func backend(plan: TrainingPlan, train: Dataset, test: Dataset) throws -> TrainingBackend {
        switch self {
        case .host:
            return try NativeBackend(plan: plan, train: train, test: test)
        case .openCL(let context):
            return try OpenCLBackend(library: KernelLibrary(context: context), plan: plan, train: train, test: test)
        }
    }
}
