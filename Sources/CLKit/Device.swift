import COpenCL

/// One OpenCL device and the properties cltrain needs to choose it and size its kernels.
public struct Device: Sendable {
    public enum Kind: String, Sendable, Codable { case gpu = "GPU", cpu = "CPU", accelerator = "accelerator", other }

    nonisolated(unsafe) let id: cl_device_id
    /// The platform's position in `OpenCL.platforms()` and its name.
    public let platformIndex: Int
    public let platformName: String
    /// Position within its platform's device list.
    public let index: Int
    public let kind: Kind
    public let name: String
    public let vendor: String
    public let driverVersion: String
    public let openCLCVersion: String
    public let computeUnits: Int
    public let globalMemoryBytes: UInt64
    public let localMemoryBytes: UInt64
    /// The largest single buffer the device allows (often a quarter of its memory).
    public let maxAllocationBytes: UInt64
    public let maxWorkGroupSize: Int
    /// Sub-buffers must start at a multiple of this many bytes.
    public let baseAddressAlignmentBytes: Int

    init(id: cl_device_id, platform: Platform, index: Int) throws {
        self.id = id
        platformIndex = platform.index
        platformName = platform.name
        self.index = index
        let type: cl_device_type = try Device.value(id, CL_DEVICE_TYPE)
        if type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 { kind = .gpu }
        else if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { kind = .cpu }
        else if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { kind = .accelerator }
        else { kind = .other }
        name = try Device.string(id, CL_DEVICE_NAME)
        vendor = try Device.string(id, CL_DEVICE_VENDOR)
        driverVersion = try Device.string(id, CL_DRIVER_VERSION)
        openCLCVersion = try Device.string(id, CL_DEVICE_OPENCL_C_VERSION)
        computeUnits = Int(try Device.value(id, CL_DEVICE_MAX_COMPUTE_UNITS) as cl_uint)
        globalMemoryBytes = try Device.value(id, CL_DEVICE_GLOBAL_MEM_SIZE)
        localMemoryBytes = try Device.value(id, CL_DEVICE_LOCAL_MEM_SIZE)
        maxAllocationBytes = try Device.value(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE)
        maxWorkGroupSize = try Device.value(id, CL_DEVICE_MAX_WORK_GROUP_SIZE)
        baseAddressAlignmentBytes = Int(try Device.value(id, CL_DEVICE_MEM_BASE_ADDR_ALIGN) as cl_uint) / 8
    }

    private static func value<T>(_ id: cl_device_id, _ info: Int32) throws -> T {
        let size = MemoryLayout<T>.size
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<T>.alignment)
        defer { raw.deallocate() }
        try check("clGetDeviceInfo", oclGetDeviceInfo(id, cl_device_info(info), size, raw, nil))
        return raw.load(as: T.self)
    }

    private static func string(_ id: cl_device_id, _ info: Int32) throws -> String {
        trimmed(try infoString("clGetDeviceInfo") { oclGetDeviceInfo(id, cl_device_info(info), $0, $1, $2) })
    }
}
