import COpenCL

/// An OpenCL C program built for the context's device.
public final class Program: @unchecked Sendable {
    /// The name used in errors, e.g. the kernel file's name without `.cl`.
    public let name: String
    public let context: Context
    let program: cl_program

    /// Compiles `source`; a failed build throws `CLError.build` with the device's full build log.
    /// - Parameters:
    ///   - options: compiler options, e.g. `-cl-fast-relaxed-math -DTILE=16`.
    public init(context: Context, name: String, source: String, options: String = "") throws {
        self.name = name
        self.context = context
        let program = try source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            return try create("clCreateProgramWithSource") { oclCreateProgramWithSource(context.context, 1, &pointer, nil, $0) }
        }
        self.program = program
        var deviceID: cl_device_id? = context.device.id
        let status = oclBuildProgram(program, 1, &deviceID, options, nil, nil)
        // Every stored property is set, so from here on a throw runs deinit, which releases the program.
        if status == CL_BUILD_PROGRAM_FAILURE {
            throw CLError.build(program: name, device: context.device.name, log: Program.buildLog(program, context.device))
        }
        try check("clBuildProgram(\(name))", status)
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
