import COpenCL

/// A value that can be passed to a kernel: a scalar, a buffer, or local memory.
public protocol KernelArgument {
    func set(on kernel: cl_kernel, index: cl_uint) throws
}

extension KernelArgument where Self: BitwiseCopyable {
    public func set(on kernel: cl_kernel, index: cl_uint) throws {
        var value = self
        try check("clSetKernelArg(\(index))", oclSetKernelArg(kernel, index, MemoryLayout<Self>.size, &value))
    }
}

extension Int32: KernelArgument {}
extension UInt32: KernelArgument {}
extension Float: KernelArgument {}

extension Buffer: KernelArgument {
    public func set(on kernel: cl_kernel, index: cl_uint) throws {
        var handle: cl_mem? = mem
        try check("clSetKernelArg(\(index))", oclSetKernelArg(kernel, index, MemoryLayout<cl_mem>.size, &handle))
    }
}

/// `__local` memory of the given size, allocated per work-group.
public struct LocalMemory: KernelArgument {
    public let bytes: Int
    public init(bytes: Int) { self.bytes = bytes }
    public func set(on kernel: cl_kernel, index: cl_uint) throws {
        try check("clSetKernelArg(\(index))", oclSetKernelArg(kernel, index, bytes, nil))
    }
}

/// A kernel function with its arguments. Arguments stay set between launches, so a training loop
/// sets only what changes per batch.
public final class Kernel: @unchecked Sendable {
    public let name: String
    public let program: Program
    let kernel: cl_kernel
    /// The most work-items a work-group of this kernel may hold on its device: often below the device's
    /// maximum (Rusticl on llvmpipe allows 1024 per device but 32 for a kernel without a required size).
    public let maxWorkGroupSize: Int
    /// Work-group sizes that are a multiple of this run best: a warp or wavefront on a GPU, a SIMD width on a CPU.
    public let preferredWorkGroupMultiple: Int
    /// The size fixed by `reqd_work_group_size` in the source; nil when the kernel leaves it to the launcher.
    public let requiredWorkGroupSize: [Int]?
    /// `__local` memory the kernel uses per work-group.
    public let localMemoryBytes: UInt64

    convenience init(program: Program, name: String) throws {
        let kernel = try create("clCreateKernel(\(name))") { oclCreateKernel(program.program, name, $0) }
        try self.init(program: program, handle: kernel)
    }

    /// Takes ownership of a kernel handle (released here if anything about it cannot be read).
    init(program: Program, handle: cl_kernel) throws {
        let device = program.context.device.id
        func info<T: BitwiseCopyable>(_ query: Int32, _ initial: T) throws -> T {
            var value = initial
            try check("clGetKernelWorkGroupInfo", oclGetKernelWorkGroupInfo(
                handle, device, cl_kernel_work_group_info(query), MemoryLayout<T>.size, &value, nil))
            return value
        }
        do {
            name = try infoString("clGetKernelInfo") {
                oclGetKernelInfo(handle, cl_kernel_info(CL_KERNEL_FUNCTION_NAME), $0, $1, $2)
            }
            // Asked once here, so launchers size their groups without a call per launch.
            maxWorkGroupSize = try info(CL_KERNEL_WORK_GROUP_SIZE, 0)
            preferredWorkGroupMultiple = max(1, try info(CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, 0))
            let required: (Int, Int, Int) = try info(CL_KERNEL_COMPILE_WORK_GROUP_SIZE, (0, 0, 0))
            requiredWorkGroupSize = required.0 == 0 ? nil : [required.0, required.1, required.2]
            localMemoryBytes = try info(CL_KERNEL_LOCAL_MEM_SIZE, cl_ulong(0))
        } catch {
            oclReleaseKernel(handle)
            throw error
        }
        self.program = program
        kernel = handle
    }

    deinit { oclReleaseKernel(kernel) }

    /// Arguments as last set, by index, for a command buffer to give a kernel of its own (see `CommandBuffer`).
    private(set) var arguments: [KernelArgument?] = []

    /// Sets argument `index`.
    public func set(_ index: Int, _ argument: KernelArgument) throws {
        do {
            try argument.set(on: kernel, index: cl_uint(index))
        } catch CLError.call(_, let code) {
            throw CLError.call("clSetKernelArg(\(name), \(index))", code: code)
        }
        if index >= arguments.count { arguments += [KernelArgument?](repeating: nil, count: index + 1 - arguments.count) }
        arguments[index] = argument
    }

    /// Sets arguments 0, 1, 2, … in order.
    public func set(_ arguments: KernelArgument...) throws {
        for (index, argument) in arguments.enumerated() { try set(index, argument) }
    }

    /// Enqueues the kernel over `global` work-items in groups of `local` (nil: the driver chooses).
    /// Returns an event only when `timed` is true and the queue profiles.
    @discardableResult
    public func enqueue(global: [Int], local: [Int]? = nil, timed: Bool = false) throws -> Event? {
        precondition(!global.isEmpty && global.count <= 3 && (local == nil || local!.count == global.count))
        if let recording = program.context.recording {
            try recording.append(self, global: global, local: local)
            return nil
        }
        let wantEvent = timed && program.context.profiling
        var event: cl_event?
        let status = withUnsafeMutablePointer(to: &event) { eventPointer in
            global.withUnsafeBufferPointer { g in
                let localSizes = local ?? []
                return localSizes.withUnsafeBufferPointer { l in
                    oclEnqueueNDRangeKernel(program.context.queue, kernel, cl_uint(g.count), nil, g.baseAddress,
                                            local == nil ? nil : l.baseAddress, 0, nil, wantEvent ? eventPointer : nil)
                }
            }
        }
        try check("clEnqueueNDRangeKernel(\(name))", status)
        program.context.launches += 1
        return event.map(Event.init)
    }
}
