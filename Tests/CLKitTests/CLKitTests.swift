@testable import CLKit
import Foundation
import Testing

/// The first device of the first platform: PoCL's CPU device on CI.
func firstDevice() throws -> Device {
    let devices = try OpenCL.platforms().flatMap { try $0.devices() }
    return try #require(devices.first, "no OpenCL device: install pocl-opencl-icd")
}

@Suite struct CLKitTests {
    @Test func platformsAndDevicesDescribeThemselves() throws {
        let device = try firstDevice()
        #expect(!device.name.isEmpty)
        #expect(device.maxWorkGroupSize >= 1)
        #expect(device.computeUnits >= 1)
        #expect(device.globalMemoryBytes > 0)
        #expect(device.openCLCVersion.hasPrefix("OpenCL C"))
    }

    @Test func tinyKernelRunsAndReadsBack() throws {
        let context = try Context(device: try firstDevice(), profiling: true)
        let source = """
            __kernel void axpy(const float a, __global const float *x, __global float *y, const int n) {
                const int i = get_global_id(0);
                if (i < n) y[i] += a * x[i];
            }
            """
        let kernel = try Program(context: context, name: "axpy", source: source).kernel("axpy")
        let n = 1001  // not a multiple of any work-group size
        let x = (0..<n).map { Float($0) }, y = (0..<n).map { Float(2 * $0) }
        let xBuffer = try Buffer(context: context, values: x), yBuffer = try Buffer(context: context, values: y)
        try kernel.set(Float(0.5), xBuffer, yBuffer, Int32(n))
        let event = try kernel.enqueue(global: [1024], timed: true)
        let result = try yBuffer.read()
        let expected: [Float] = (0..<n).map { i in 2 * Float(i) + 0.5 * Float(i) }
        #expect(result == expected)
        #expect(try #require(event).seconds() >= 0)
    }

    @Test func subBufferIsAViewOfItsParent() throws {
        let context = try Context(device: try firstDevice())
        let alignment = max(context.device.baseAddressAlignmentBytes / 4, 1)
        let parent = try Buffer(context: context, values: [Float](repeating: 1, count: 3 * alignment))
        let view = try Buffer(parent, offset: alignment, count: alignment)
        try view.fill(7)
        let all = try parent.read()
        #expect(all[..<alignment].allSatisfy { $0 == 1 })
        #expect(all[alignment..<(2 * alignment)].allSatisfy { $0 == 7 })
        #expect(all[(2 * alignment)...].allSatisfy { $0 == 1 })
    }

    @Test func brokenKernelCarriesTheBuildLog() throws {
        let context = try Context(device: try firstDevice())
        let source = "__kernel void broken(__global float *y) { y[0] = undefined_name; }"
        do {
            _ = try Program(context: context, name: "broken", source: source)
            Issue.record("a kernel with an undefined name compiled")
        } catch let error as CLError {
            guard case .build(let program, _, let log) = error else {
                Issue.record("expected a build error, got \(error)")
                return
            }
            #expect(program == "broken")
            #expect(log.contains("undefined_name"))
            #expect(error.description.hasPrefix("clBuildProgram: CL_BUILD_PROGRAM_FAILURE building broken.cl"))
        }
    }

    @Test func errorsNameTheCallAndTheSymbolicCode() throws {
        #expect(CLError.call("clBuildProgram", code: -11).description == "clBuildProgram: CL_BUILD_PROGRAM_FAILURE")
        #expect(CLError.call("clCreateBuffer", code: -61).description == "clCreateBuffer: CL_INVALID_BUFFER_SIZE")
        #expect(CLError.name(of: -9999) == "unknown OpenCL error -9999")
        let context = try Context(device: try firstDevice())
        #expect(throws: CLError.call("clCreateKernel(missing)", code: -46)) {
            try Program(context: context, name: "empty", source: "__kernel void present() {}").kernel("missing")
        }
    }

    /// Counted through the driver's own destructor callbacks rather than resident memory, which other tests
    /// running in this process (and the allocators' pools) would blur.
    @Test func releasingBuffersReturnsTheirMemory() throws {
        let context = try Context(device: try firstDevice())
        let deleted = Counter()
        let buffers = 1000
        for _ in 0..<buffers {
            let buffer = try Buffer<Float>(context: context, count: 4096)
            try buffer.fill(1)  // make the driver really back it with memory
            let view = try Buffer(buffer, offset: 0, count: 16)  // a view keeps its parent alive, then lets go
            try buffer.whenDeleted { deleted.add() }
            try context.finish()
            _ = view
        }
        // The driver may run the callbacks on a thread of its own; give it a moment, not a deadline to race.
        for _ in 0..<200 where deleted.value < buffers { usleep(50_000) }
        #expect(deleted.value == buffers, "\(deleted.value) of \(buffers) released buffers were deleted by the driver")
    }
}

/// A count that driver threads may bump.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
