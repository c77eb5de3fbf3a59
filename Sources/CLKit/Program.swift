import COpenCL

/// An OpenCL C program built for the context's device.
public final class Program: @unchecked Sendable {
    /// The name used in errors, e.g. the kernel file's name without `.cl`.
    public let name: String
    public let context: Context
    let program: cl_program
    /// Whether the program came from the context's `ProgramCache` rather than the compiler.
    public let fromCache: Bool

    /// Compiles `source`, or loads it from the context's program cache when an intact entry is there;
    /// a failed build throws `CLError.build` with the device's full build log.
    /// - Parameters:
    ///   - options: compiler options, e.g. `-cl-fast-relaxed-math -DTILE=16`.
    public init(context: Context, name: String, source: String, options: String = "") throws {
        self.name = name
        self.context = context
        let cache = context.programCache
        let key = ProgramCache.key(device: context.device, name: name, source: source, options: options)
        if let cache, let binary = cache.binary(forKey: key),
           let program = Program.build(binary: binary, context: context, options: options) {
            self.program = program
            fromCache = true
            return
        }
        let program = try source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            return try create("clCreateProgramWithSource") { oclCreateProgramWithSource(context.context, 1, &pointer, nil, $0) }
        }
        self.program = program
        fromCache = false
        var deviceID: cl_device_id? = context.device.id
        let status = oclBuildProgram(program, 1, &deviceID, options, nil, nil)
        // Every stored property is set, so from here on a throw runs deinit, which releases the program.
        if status == CL_BUILD_PROGRAM_FAILURE {
            throw CLError.build(program: name, device: context.device.name, log: Program.buildLog(program, context.device))
        }
        try check("clBuildProgram(\(name))", status)
        if let cache, let binary = try? binary() { cache.store(binary, forKey: key) }
    }

    /// A program made from a cached binary, or nil when the driver refuses it at any step (then the caller compiles).
    private static func build(binary: [UInt8], context: Context, options: String) -> cl_program? {
        var deviceID: cl_device_id? = context.device.id
        var length = binary.count, binaryStatus: cl_int = CL_SUCCESS, status: cl_int = CL_SUCCESS
        let program = binary.withUnsafeBufferPointer { bytes -> cl_program? in
            var pointer: UnsafePointer<UInt8>? = bytes.baseAddress
            return oclCreateProgramWithBinary(context.context, 1, &deviceID, &length, &pointer, &binaryStatus, &status)
        }
        guard let program else { return nil }
        if status != CL_SUCCESS || binaryStatus != CL_SUCCESS || oclBuildProgram(program, 1, &deviceID, options, nil, nil) != CL_SUCCESS {
            oclReleaseProgram(program)
            return nil
        }
        return program
    }

    /// The device's compiled form of this program (`CL_PROGRAM_BINARIES`).
    public func binary() throws -> [UInt8] {
        var size = 0
        try check("clGetProgramInfo", oclGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES),
                                                        MemoryLayout<Int>.size, &size, nil))
        guard size > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: size)
        try bytes.withUnsafeMutableBufferPointer { storage in
            var pointer: UnsafeMutablePointer<UInt8>? = storage.baseAddress
            try check("clGetProgramInfo", oclGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARIES),
                                                            MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointer, nil))
        }
        return bytes
    }

    deinit { oclReleaseProgram(program) }

    /// The compiler's messages for this device (warnings too, after a successful build).
    public func buildLog() -> String { Program.buildLog(program, context.device) }

    private static func buildLog(_ program: cl_program, _ device: Device) -> String {
        // A log that cannot be read must not hide the error that asked for it.
        (try? infoString("clGetProgramBuildInfo") {
            oclGetProgramBuildInfo(program, device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), $0, $1, $2)
        }) ?? ""
    }

    /// The kernel function `name` of this program.
    public func kernel(_ name: String) throws -> Kernel {
        try Kernel(program: self, name: name)
    }

    /// Every kernel function the program defines.
    public func kernels() throws -> [Kernel] {
        var count: cl_uint = 0
        try check("clCreateKernelsInProgram(\(name))", oclCreateKernelsInProgram(program, 0, nil, &count))
        var handles = [cl_kernel?](repeating: nil, count: Int(count))
        try check("clCreateKernelsInProgram(\(name))", oclCreateKernelsInProgram(program, count, &handles, nil))
        return try handles.map { try Kernel(program: self, handle: $0!) }
    }
}
