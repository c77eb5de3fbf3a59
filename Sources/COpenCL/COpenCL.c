#include "COpenCL.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define COPENCL_POINTER(ret, name, params, args) static ret (*p_cl##name) params;
COPENCL_FUNCTIONS(COPENCL_POINTER)
#undef COPENCL_POINTER

#define COPENCL_FORWARD(ret, name, params, args) ret ocl##name params { return p_cl##name args; }
COPENCL_FUNCTIONS(COPENCL_FORWARD)
#undef COPENCL_FORWARD

static void *library;

int ocl_load(const char *path, char *error, size_t error_size) {
    if (library) return 0;
    if (!path) path = getenv("CLTRAIN_OPENCL_LIBRARY");
    if (!path || !*path) path = "libOpenCL.so.1";
    // RTLD_LOCAL: the loader's symbols stay out of the global namespace, vendor drivers see only their own.
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(error, error_size, "cannot open %s: %s", path, dlerror());
        return -1;
    }
#define COPENCL_RESOLVE(ret, name, params, args) \
    p_cl##name = (ret (*) params)dlsym(handle, "cl" #name); \
    if (!p_cl##name) { \
        snprintf(error, error_size, "%s has no symbol cl" #name " (not an OpenCL 1.2 loader)", path); \
        dlclose(handle); \
        return -1; \
    }
    COPENCL_FUNCTIONS(COPENCL_RESOLVE)
#undef COPENCL_RESOLVE
    library = handle;
    return 0;
}

// cl_khr_command_buffer's entry points, as its header declares them (cl_properties lists, cl_uint sync points).
static ocl_command_buffer (*p_create)(cl_uint, const cl_command_queue *, const cl_ulong *, cl_int *);
static cl_int (*p_ndrange)(ocl_command_buffer, cl_command_queue, const cl_ulong *, cl_kernel, cl_uint, const size_t *,
                           const size_t *, const size_t *, cl_uint, const cl_uint *, cl_uint *, void **);
static cl_int (*p_finalize)(ocl_command_buffer);
static cl_int (*p_enqueue)(cl_uint, cl_command_queue *, ocl_command_buffer, cl_uint, const cl_event *, cl_event *);
static cl_int (*p_release)(ocl_command_buffer);

int ocl_command_buffer_load(cl_device_id device) {
    cl_platform_id platform;
    if (oclGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL) != CL_SUCCESS) return -1;
    p_create = oclGetExtensionFunctionAddressForPlatform(platform, "clCreateCommandBufferKHR");
    p_ndrange = oclGetExtensionFunctionAddressForPlatform(platform, "clCommandNDRangeKernelKHR");
    p_finalize = oclGetExtensionFunctionAddressForPlatform(platform, "clFinalizeCommandBufferKHR");
    p_enqueue = oclGetExtensionFunctionAddressForPlatform(platform, "clEnqueueCommandBufferKHR");
    p_release = oclGetExtensionFunctionAddressForPlatform(platform, "clReleaseCommandBufferKHR");
    return p_create && p_ndrange && p_finalize && p_enqueue && p_release ? 0 : -1;
}

ocl_command_buffer oclCreateCommandBufferKHR(cl_command_queue queue, cl_int *errcode_ret) {
    // CL_COMMAND_BUFFER_FLAGS_KHR, CL_COMMAND_BUFFER_SIMULTANEOUS_USE_KHR: without it, each run must end before
    // the next is enqueued, and the host would wait once a step.
    const cl_ulong properties[] = {0x1293, 1, 0};
    return p_create(1, &queue, properties, errcode_ret);
}

cl_int oclCommandNDRangeKernelKHR(ocl_command_buffer buffer, cl_kernel kernel, cl_uint work_dim,
                                  const size_t *global_size, const size_t *local_size, cl_uint *last_sync_point,
                                  int has_last) {
    const cl_uint after = *last_sync_point;
    return p_ndrange(buffer, NULL, NULL, kernel, work_dim, NULL, global_size, local_size, has_last ? 1 : 0,
                     has_last ? &after : NULL, last_sync_point, NULL);
}

cl_int oclFinalizeCommandBufferKHR(ocl_command_buffer buffer) { return p_finalize(buffer); }

cl_int oclEnqueueCommandBufferKHR(ocl_command_buffer buffer) { return p_enqueue(0, NULL, buffer, 0, NULL, NULL); }

cl_int oclReleaseCommandBufferKHR(ocl_command_buffer buffer) { return p_release(buffer); }
