import COpenCL

extension Buffer {
    /// Calls `body` once the driver has deleted this buffer's memory object: when this Buffer and every view of it
    /// have been released. Tests use it to prove that releasing a Buffer gives its memory back, without measuring
    /// a process that other tests share.
    func whenDeleted(_ body: @escaping @Sendable () -> Void) throws {
        let box = Unmanaged.passRetained(DeletionCallback(body)).toOpaque()
        let status = oclSetMemObjectDestructorCallback(mem, { _, userData in
            Unmanaged<DeletionCallback>.fromOpaque(userData!).takeRetainedValue().body()
        }, box)
        if status != CL_SUCCESS { Unmanaged<DeletionCallback>.fromOpaque(box).release() }
        try check("clSetMemObjectDestructorCallback", status)
    }
}

private final class DeletionCallback {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
