import CLKit
import Testing

/// What CLKit learns from a device so kernels run on any implementation, not only the one CI has.
@Suite struct PortabilityTests {
    @Test func standardFollowsTheDevicesOpenCLC() {
        #expect(Device.standardOption(openCLCVersion: "OpenCL C 1.2 PoCL") == "-cl-std=CL1.2")
        #expect(Device.standardOption(openCLCVersion: "OpenCL C 1.1 ") == "-cl-std=CL1.1")
        #expect(Device.standardOption(openCLCVersion: "OpenCL C 3.0 ") == "-cl-std=CL1.2")
        #expect(Device.standardOption(openCLCVersion: "OpenCL C 2.0") == "-cl-std=CL1.2")
        #expect(Device.standardOption(openCLCVersion: "OpenCL C 1.0") == "")
        #expect(Device.standardOption(openCLCVersion: "garbage") == "")
    }

    @Test func implausibleProfilingCountersAreRejected() {
        // Rusticl 23 on llvmpipe: start 2, end 3 around a launch the host waited 100 ms for.
        #expect(!Context.plausible(profiled: 1e-9, wall: 0.1))
        #expect(!Context.plausible(profiled: -1, wall: 0.1))
        // Longer on the device than the host waited: a counter in the wrong unit.
        #expect(!Context.plausible(profiled: 2.0, wall: 0.1))
        #expect(Context.plausible(profiled: 100e-6, wall: 150e-6))
        #expect(Context.plausible(profiled: 3e-6, wall: 2e-3))
    }

    @Test func measureTimesAKernelOnTheFirstDevice() throws {
        let context = try Context(device: try firstDevice(), profiling: true)
        let source = "__kernel void spin(__global float *y) { float s = 0; for (int i = 0; i < 100000; i++) s += sin(s); y[0] = s; }"
        let kernel = try Program(context: context, name: "spin", source: source).kernel("spin")
        let output = try Buffer<Float>(context: context, count: 1)
        try kernel.set(output)
        let seconds = try context.measure { try kernel.enqueue(global: [1], local: [1], timed: true) }
        withExtendedLifetime(output) {}
        // 100,000 dependent sines take far more than a microsecond and far less than a minute anywhere.
        #expect(seconds > 1e-6 && seconds < 60)
    }

    @Test func kernelsReportTheirOwnLimits() throws {
        let context = try Context(device: try firstDevice())
        let source = """
            __kernel __attribute__((reqd_work_group_size(4, 2, 1))) void fixed(__global float *y) {
                __local float scratch[64];
                scratch[get_local_id(0)] = 1.0f;
                barrier(CLK_LOCAL_MEM_FENCE);
                y[get_global_id(0)] = scratch[0];
            }
            __kernel void free_size(__global float *y) { y[get_global_id(0)] = 0.0f; }
            """
        let program = try Program(context: context, name: "limits", source: source)
        let fixed = try program.kernel("fixed"), free = try program.kernel("free_size")
        #expect(fixed.requiredWorkGroupSize == [4, 2, 1])
        #expect(free.requiredWorkGroupSize == nil)
        #expect(fixed.localMemoryBytes >= 64 * 4)
        for kernel in [fixed, free] {
            #expect((1...context.device.maxWorkGroupSize).contains(kernel.maxWorkGroupSize))
            #expect(kernel.preferredWorkGroupMultiple >= 1)
        }
    }
}
