import COpenCL

/// An OpenCL platform (one vendor's driver) and its devices.
public struct Platform: Sendable {
    nonisolated(unsafe) let id: cl_platform_id
    /// Position in the list `OpenCL.platforms()` returns.
    public let index: Int
    public let name: String
    public let vendor: String
    public let version: String

    init(id: cl_platform_id, index: Int) throws {
        self.id = id
        self.index = index
        name = try Platform.string(id, CL_PLATFORM_NAME)
        vendor = try Platform.string(id, CL_PLATFORM_VENDOR)
        version = try Platform.string(id, CL_PLATFORM_VERSION)
    }

    /// Every device of this platform; an empty list when it has none.
    public func devices() throws -> [Device] {
        OpenCL.discovery.lock()
        defer { OpenCL.discovery.unlock() }
        let ids = try handles("clGetDeviceIDs", { oclGetDeviceIDs(id, cl_device_type(CL_DEVICE_TYPE_ALL), $0, $1, $2) },
                              notFound: CL_DEVICE_NOT_FOUND)
        return try ids.enumerated().map { try Device(id: $0.element, platform: self, index: $0.offset) }
    }

    private static func string(_ id: cl_platform_id, _ info: Int32) throws -> String {
        trimmed(try infoString("clGetPlatformInfo") { oclGetPlatformInfo(id, cl_platform_info(info), $0, $1, $2) })
    }
}

/// Drivers pad some info strings with spaces (Intel's device names, for one).
func trimmed(_ text: String) -> String {
    String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
}
