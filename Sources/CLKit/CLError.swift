import COpenCL

/// A failed OpenCL call, or OpenCL missing altogether. The message names the call and the symbolic code.
public enum CLError: Error, CustomStringConvertible, Equatable {
    /// The ICD loader could not be opened or lacks an entry point.
    case libraryUnavailable(String)
    /// `call` returned `code`.
    case call(String, code: Int32)
    /// A program failed to build: its name, the device, and the device's full build log.
    case build(program: String, device: String, log: String)

    public var description: String {
        switch self {
        case .libraryUnavailable(let reason):
            return "OpenCL is not available (\(reason)); install it with "
                + "`apt-get install ocl-icd-libopencl1 pocl-opencl-icd` (or your GPU vendor's OpenCL driver), "
                + "or train on the host with --cpu"
        case .call(let call, let code):
            return "\(call): \(CLError.name(of: code))"
        case .build(let program, let device, let log):
            return "clBuildProgram: CL_BUILD_PROGRAM_FAILURE building \(program).cl for \(device):\n\(log)"
        }
    }

    /// CL_INVALID_KERNEL_NAME, for a kernel that no program defines.
    public static let invalidKernelName: Int32 = CL_INVALID_KERNEL_NAME
    /// CL_INVALID_OPERATION, for an extension the device lacks.
    public static let invalidOperation: Int32 = CL_INVALID_OPERATION

    /// The symbolic name of an OpenCL status code, e.g. `CL_BUILD_PROGRAM_FAILURE` for -11.
    public static func name(of code: Int32) -> String {
        codeNames[code] ?? "unknown OpenCL error \(code)"
    }

    private static let codeNames: [Int32: String] = [
        0: "CL_SUCCESS", -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE",
        -3: "CL_COMPILER_NOT_AVAILABLE", -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5: "CL_OUT_OF_RESOURCES",
        -6: "CL_OUT_OF_HOST_MEMORY", -7: "CL_PROFILING_INFO_NOT_AVAILABLE", -8: "CL_MEM_COPY_OVERLAP",
        -9: "CL_IMAGE_FORMAT_MISMATCH", -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED", -11: "CL_BUILD_PROGRAM_FAILURE",
        -12: "CL_MAP_FAILURE", -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST", -15: "CL_COMPILE_PROGRAM_FAILURE",
        -16: "CL_LINKER_NOT_AVAILABLE", -17: "CL_LINK_PROGRAM_FAILURE", -18: "CL_DEVICE_PARTITION_FAILED",
        -19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE", -30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE",
        -32: "CL_INVALID_PLATFORM", -33: "CL_INVALID_DEVICE", -34: "CL_INVALID_CONTEXT",
        -35: "CL_INVALID_QUEUE_PROPERTIES", -36: "CL_INVALID_COMMAND_QUEUE", -37: "CL_INVALID_HOST_PTR",
        -38: "CL_INVALID_MEM_OBJECT", -39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", -40: "CL_INVALID_IMAGE_SIZE",
        -41: "CL_INVALID_SAMPLER", -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS",
        -44: "CL_INVALID_PROGRAM", -45: "CL_INVALID_PROGRAM_EXECUTABLE", -46: "CL_INVALID_KERNEL_NAME",
        -47: "CL_INVALID_KERNEL_DEFINITION", -48: "CL_INVALID_KERNEL", -49: "CL_INVALID_ARG_INDEX",
        -50: "CL_INVALID_ARG_VALUE", -51: "CL_INVALID_ARG_SIZE", -52: "CL_INVALID_KERNEL_ARGS",
        -53: "CL_INVALID_WORK_DIMENSION", -54: "CL_INVALID_WORK_GROUP_SIZE", -55: "CL_INVALID_WORK_ITEM_SIZE",
        -56: "CL_INVALID_GLOBAL_OFFSET", -57: "CL_INVALID_EVENT_WAIT_LIST", -58: "CL_INVALID_EVENT",
        -59: "CL_INVALID_OPERATION", -60: "CL_INVALID_GL_OBJECT", -61: "CL_INVALID_BUFFER_SIZE",
        -62: "CL_INVALID_MIP_LEVEL", -63: "CL_INVALID_GLOBAL_WORK_SIZE", -64: "CL_INVALID_PROPERTY",
        -65: "CL_INVALID_IMAGE_DESCRIPTOR", -66: "CL_INVALID_COMPILER_OPTIONS", -67: "CL_INVALID_LINKER_OPTIONS",
        -68: "CL_INVALID_DEVICE_PARTITION_COUNT", -1001: "CL_PLATFORM_NOT_FOUND_KHR",
    ]
}

/// Throws `CLError.call` unless `code` is CL_SUCCESS.
@inline(__always)
func check(_ call: @autoclosure () -> String, _ code: cl_int) throws {
    if code != CL_SUCCESS { throw CLError.call(call(), code: code) }
}

/// Runs a `clCreate*` call that reports its status through an out-parameter.
func create<T>(_ call: String, _ body: (UnsafeMutablePointer<cl_int>) -> T?) throws -> T {
    var status: cl_int = CL_SUCCESS
    let object = body(&status)
    try check(call, status)
    guard let object else { throw CLError.call(call, code: CL_INVALID_VALUE) }
    return object
}

/// Reads a string through a `clGet*Info`-style call: first its size, then its bytes. A driver that answers
/// the two calls differently, or claims an absurd size, gets an error, never a trap or a read past the buffer.
func infoString(_ call: String, _ get: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int) throws -> String {
    var size = 0
    try check(call, get(0, nil, &size))
    // Names, versions and build logs; 16 MiB is far past any real one.
    guard (0...(1 << 24)).contains(size) else { throw CLError.call("\(call) (it reported a string of \(size) bytes)", code: CL_INVALID_VALUE) }
    var bytes = [CChar](repeating: 0, count: size + 1)
    var written = 0
    try check(call, bytes.withUnsafeMutableBytes { get(size, $0.baseAddress, &written) })
    guard written <= size else { throw CLError.call("\(call) (the string grew from \(size) to \(written) bytes between calls)", code: CL_INVALID_VALUE) }
    bytes[size] = 0
    return String(cString: bytes)
}

/// Reads a list of handles through a `clGet*IDs`-style call: first the count, then the handles. A driver
/// whose two answers disagree is reported, and no missing handle is ever used.
func handles<T>(_ call: String, _ get: (cl_uint, UnsafeMutablePointer<T?>?, UnsafeMutablePointer<cl_uint>?) -> cl_int,
                notFound: cl_int) throws -> [T] {
    var count: cl_uint = 0
    let status = get(0, nil, &count)
    if status == notFound || count == 0 { return [] }
    try check(call, status)
    var items = [T?](repeating: nil, count: Int(count))
    // Left as it is by a driver that does not report the count twice; the nil check below still holds.
    var returned = count
    try check(call, items.withUnsafeMutableBufferPointer { get(count, $0.baseAddress, &returned) })
    let found = items.prefix(Int(min(count, returned))).compactMap { $0 }
    guard returned == count, found.count == Int(count) else {
        throw CLError.call("\(call) (it reported \(count) entries, then returned \(found.count))", code: CL_INVALID_VALUE)
    }
    return found
}
