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

    init(program: Program, name: String) throws {
        self.name = name
        self.program = program
        kernel = try create("clCreateKernel(\(name))") { oclCreateKernel(program.program, name, $0) }
    }

    /// Takes ownership of a kernel made by clCreateKernelsInProgram.
    init(program: Program, handle: cl_kernel) throws {
        do {
            name = try infoString("clGetKernelInfo") {
                oclGetKernelInfo(handle, cl_kernel_info(CL_KERNEL_FUNCTION_NAME), $0, $1, $2)
            }
        } catch {
            oclReleaseKernel(handle)
            throw error
        }
        self.program = program
        kernel = handle
    }

    deinit { oclReleaseKernel(kernel) }

    /// Sets argument `index`.
    public func set(_ index: Int, _ argument: KernelArgument) throws {
        do {
            try argument.set(on: kernel, index: cl_uint(index))
        } catch CLError.call(_, let code) {
            throw CLError.call("clSetKernelArg(\(name), \(index))", code: code)
        }
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
