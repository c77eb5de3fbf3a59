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
    /// The most work-items a group may have along each dimension (NVIDIA allows 64 along the third).
    public let maxWorkItemSizes: [Int]
    /// The float vector width the device prefers (16 on AVX-512 CPUs, often 1 on GPUs, whose lanes are work-items).
    public let preferredVectorWidthFloat: Int
    /// Sub-buffers must start at a multiple of this many bytes.
    public let baseAddressAlignmentBytes: Int
    /// The extensions the device reports, e.g. "cl_khr_command_buffer".
    public let extensions: Set<String>
    /// Whether the device records command buffers (`CommandBuffer`).
    public var offersCommandBuffers: Bool { extensions.contains("cl_khr_command_buffer") }

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
        let dimensions = Int(try Device.value(id, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS) as cl_uint)
        var sizes = [Int](repeating: 0, count: max(dimensions, 1))
        try sizes.withUnsafeMutableBytes { bytes in
            try check("clGetDeviceInfo", oclGetDeviceInfo(id, cl_device_info(CL_DEVICE_MAX_WORK_ITEM_SIZES), bytes.count,
                                                          bytes.baseAddress, nil))
        }
        maxWorkItemSizes = sizes
        preferredVectorWidthFloat = Int(try Device.value(id, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT) as cl_uint)
        baseAddressAlignmentBytes = Int(try Device.value(id, CL_DEVICE_MEM_BASE_ADDR_ALIGN) as cl_uint) / 8
        extensions = Set(try Device.string(id, CL_DEVICE_EXTENSIONS).split(separator: " ").map(String.init))
    }

    /// The `-cl-std` option for this device's OpenCL C: the kernels are written to OpenCL C 1.1, so 1.2 where
    /// the device has it (every 2.x and 3.0 device must accept 1.2), else the device's own version.
    public var openCLCStandardOption: String { Device.standardOption(openCLCVersion: openCLCVersion) }

    /// `-cl-std=CL1.2` for "OpenCL C 1.2 …" or later, `-cl-std=CL1.1` for 1.1, nothing for 1.0 or an unreadable version.
    public static func standardOption(openCLCVersion: String) -> String {
        let words = openCLCVersion.split(separator: " ")
        guard words.count >= 3, words[0] == "OpenCL", words[1] == "C" else { return "" }
        let parts = words[2].split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2 else { return "" }
        let (major, minor) = (parts[0], parts[1])
        if major > 1 || minor >= 2 { return "-cl-std=CL1.2" }
        return minor == 1 ? "-cl-std=CL1.1" : ""
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
