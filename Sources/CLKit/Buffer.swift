import COpenCL

/// A typed device buffer of `count` elements, or a view into part of a larger one.
public final class Buffer<Element>: @unchecked Sendable {
    public let count: Int
    public let context: Context
    let mem: cl_mem
    /// Keeps a sub-buffer's parent alive.
    private let parent: AnyObject?

    public var byteCount: Int { count * MemoryLayout<Element>.stride }

    /// Allocates `count` elements on the device; the contents are undefined until written.
    public init(context: Context, count: Int) throws {
        precondition(count > 0, "a device buffer needs at least one element")
        self.count = count
        self.context = context
        parent = nil
        mem = try create("clCreateBuffer") {
            oclCreateBuffer(context.context, cl_mem_flags(CL_MEM_READ_WRITE), count * MemoryLayout<Element>.stride, nil, $0)
        }
    }

    /// Allocates a buffer holding a copy of `values`.
    public convenience init(context: Context, values: [Element]) throws {
        try self.init(context: context, count: values.count)
        try write(values)
    }

    /// A view of `count` elements starting at element `offset`, which must meet the device's base address alignment.
    public init(_ parent: Buffer<Element>, offset: Int, count: Int) throws {
        precondition(offset >= 0 && count > 0 && offset + count <= parent.count, "sub-buffer out of range")
        self.count = count
        self.context = parent.context
        self.parent = parent
        var region = cl_buffer_region(origin: offset * MemoryLayout<Element>.stride, size: count * MemoryLayout<Element>.stride)
        mem = try create("clCreateSubBuffer") {
            oclCreateSubBuffer(parent.mem, cl_mem_flags(CL_MEM_READ_WRITE), cl_buffer_create_type(CL_BUFFER_CREATE_TYPE_REGION), &region, $0)
        }
    }

    deinit { oclReleaseMemObject(mem) }

    /// Copies `values` to the start of the buffer (or at element `offset`); waits unless `blocking` is false,
    /// in which case `values` must stay alive and unchanged until the queue has finished.
    public func write(_ values: [Element], at offset: Int = 0, blocking: Bool = true) throws {
        try values.withUnsafeBufferPointer { try write($0, at: offset, blocking: blocking) }
    }

    /// `write` from memory that is not an array's, such as a mapped file's.
    public func write(_ values: UnsafeBufferPointer<Element>, at offset: Int = 0, blocking: Bool = true) throws {
        precondition(context.recording == nil, "a command buffer records launches only: transfers go to the queue")
        precondition(offset >= 0 && offset + values.count <= count, "write past the end of a \(count)-element buffer")
        guard let start = values.baseAddress, !values.isEmpty else { return }
        try check("clEnqueueWriteBuffer", oclEnqueueWriteBuffer(
            context.queue, mem, blocking ? cl_bool(CL_TRUE) : cl_bool(CL_FALSE),
            offset * MemoryLayout<Element>.stride, values.count * MemoryLayout<Element>.stride, start, 0, nil, nil))
    }

    /// `write` that returns at once with the copy's event; `values` must stay alive and unchanged until it completes.
    public func writeAsync(_ values: UnsafeBufferPointer<Element>, at offset: Int = 0) throws -> Event {
        precondition(context.recording == nil, "a command buffer records launches only: transfers go to the queue")
        precondition(offset >= 0 && offset + values.count <= count && !values.isEmpty,
                     "write past the end of a \(count)-element buffer")
        var event: cl_event?
        try check("clEnqueueWriteBuffer", oclEnqueueWriteBuffer(
            context.queue, mem, cl_bool(CL_FALSE), offset * MemoryLayout<Element>.stride,
            values.count * MemoryLayout<Element>.stride, values.baseAddress, 0, nil, &event))
        return Event(event!)
    }

    /// Waits for the queue to reach this read, then returns `count` elements from element `offset`.
    public func read(count: Int? = nil, from offset: Int = 0) throws -> [Element] {
        let n = count ?? (self.count - offset)
        precondition(offset >= 0 && n >= 0 && offset + n <= self.count, "read past the end of a \(self.count)-element buffer")
        guard n > 0 else { return [] }
        return try [Element](unsafeUninitializedCapacity: n) { storage, initialized in
            try check("clEnqueueReadBuffer", oclEnqueueReadBuffer(
                context.queue, mem, cl_bool(CL_TRUE), offset * MemoryLayout<Element>.stride,
                n * MemoryLayout<Element>.stride, storage.baseAddress, 0, nil, nil))
            initialized = n
        }
    }

    /// Starts copying `count` elements from element `offset` into `destination` and returns at once. The copy is
    /// complete when the returned event is; `destination` must stay allocated and untouched until then.
    public func readAsync(into destination: UnsafeMutableBufferPointer<Element>, count: Int, from offset: Int = 0) throws -> Event {
        precondition(count > 0 && offset >= 0 && offset + count <= self.count && count <= destination.count,
                     "read past the end of a \(self.count)-element buffer or of its destination")
        var event: cl_event?
        try check("clEnqueueReadBuffer", oclEnqueueReadBuffer(
            context.queue, mem, cl_bool(CL_FALSE), offset * MemoryLayout<Element>.stride,
            count * MemoryLayout<Element>.stride, destination.baseAddress, 0, nil, &event))
        return Event(event!)
    }

    /// Copies the first `count` elements of `source` to the start of this buffer (enqueued; does not wait).
    public func copy(from source: Buffer<Element>, count: Int) throws {
        precondition(context.recording == nil, "a command buffer records launches only: transfers go to the queue")
        precondition(count >= 0 && count <= self.count && count <= source.count, "copy past the end of a buffer")
        guard count > 0 else { return }
        try check("clEnqueueCopyBuffer", oclEnqueueCopyBuffer(
            context.queue, source.mem, mem, 0, 0, count * MemoryLayout<Element>.stride, 0, nil, nil))
    }

    /// Sets every element to `value` (enqueued; does not wait).
    public func fill(_ value: Element) throws {
        precondition(context.recording == nil, "a command buffer records launches only: transfers go to the queue")
        try withUnsafeBytes(of: value) { pattern in
            try check("clEnqueueFillBuffer", oclEnqueueFillBuffer(
                context.queue, mem, pattern.baseAddress, MemoryLayout<Element>.stride, 0, byteCount, 0, nil, nil))
        }
    }
}
