// COpenCL: the OpenCL 1.2 API, loaded at run time.
//
// The ICD loader (libOpenCL.so.1) is opened with dlopen instead of being linked, so cltrain starts on a
// machine without OpenCL and can say what to install. Every entry point below forwards to the symbol of
// the same name without the `ocl` prefix, found in the loader by ocl_load().
#ifndef COPENCL_H
#define COPENCL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stddef.h>

// X(return type, name without the "cl" prefix, parameter list, argument list)
#define COPENCL_FUNCTIONS(X) \
    X(cl_int, GetPlatformIDs, (cl_uint num_entries, cl_platform_id *platforms, cl_uint *num_platforms), \
      (num_entries, platforms, num_platforms)) \
    X(cl_int, GetPlatformInfo, (cl_platform_id platform, cl_platform_info name, size_t size, void *value, \
      size_t *size_ret), (platform, name, size, value, size_ret)) \
    X(cl_int, GetDeviceIDs, (cl_platform_id platform, cl_device_type type, cl_uint num_entries, \
      cl_device_id *devices, cl_uint *num_devices), (platform, type, num_entries, devices, num_devices)) \
    X(cl_int, GetDeviceInfo, (cl_device_id device, cl_device_info name, size_t size, void *value, \
      size_t *size_ret), (device, name, size, value, size_ret)) \
    X(cl_context, CreateContext, (const cl_context_properties *properties, cl_uint num_devices, \
      const cl_device_id *devices, \
      void (CL_CALLBACK *notify)(const char *, const void *, size_t, void *), void *user_data, \
      cl_int *errcode_ret), (properties, num_devices, devices, notify, user_data, errcode_ret)) \
    X(cl_int, ReleaseContext, (cl_context context), (context)) \
    X(cl_command_queue, CreateCommandQueue, (cl_context context, cl_device_id device, \
      cl_command_queue_properties properties, cl_int *errcode_ret), (context, device, properties, errcode_ret)) \
    X(cl_int, ReleaseCommandQueue, (cl_command_queue queue), (queue)) \
    X(cl_mem, CreateBuffer, (cl_context context, cl_mem_flags flags, size_t size, void *host_ptr, \
      cl_int *errcode_ret), (context, flags, size, host_ptr, errcode_ret)) \
    X(cl_mem, CreateSubBuffer, (cl_mem buffer, cl_mem_flags flags, cl_buffer_create_type type, \
      const void *info, cl_int *errcode_ret), (buffer, flags, type, info, errcode_ret)) \
    X(cl_int, ReleaseMemObject, (cl_mem memobj), (memobj)) \
    X(cl_int, SetMemObjectDestructorCallback, (cl_mem memobj, \
      void (CL_CALLBACK *notify)(cl_mem, void *), void *user_data), (memobj, notify, user_data)) \
    X(cl_program, CreateProgramWithSource, (cl_context context, cl_uint count, const char **strings, \
      const size_t *lengths, cl_int *errcode_ret), (context, count, strings, lengths, errcode_ret)) \
    X(cl_int, BuildProgram, (cl_program program, cl_uint num_devices, const cl_device_id *devices, \
      const char *options, void (CL_CALLBACK *notify)(cl_program, void *), void *user_data), \
      (program, num_devices, devices, options, notify, user_data)) \
    X(cl_int, GetProgramBuildInfo, (cl_program program, cl_device_id device, cl_program_build_info name, \
      size_t size, void *value, size_t *size_ret), (program, device, name, size, value, size_ret)) \
    X(cl_int, ReleaseProgram, (cl_program program), (program)) \
    X(cl_program, CreateProgramWithBinary, (cl_context context, cl_uint num_devices, const cl_device_id *devices, \
      const size_t *lengths, const unsigned char **binaries, cl_int *binary_status, cl_int *errcode_ret), \
      (context, num_devices, devices, lengths, binaries, binary_status, errcode_ret)) \
    X(cl_int, GetProgramInfo, (cl_program program, cl_program_info name, size_t size, void *value, \
      size_t *size_ret), (program, name, size, value, size_ret)) \
    X(cl_kernel, CreateKernel, (cl_program program, const char *name, cl_int *errcode_ret), \
      (program, name, errcode_ret)) \
    X(cl_int, CreateKernelsInProgram, (cl_program program, cl_uint num_kernels, cl_kernel *kernels, \
      cl_uint *num_kernels_ret), (program, num_kernels, kernels, num_kernels_ret)) \
    X(cl_int, GetKernelInfo, (cl_kernel kernel, cl_kernel_info name, size_t size, void *value, size_t *size_ret), \
      (kernel, name, size, value, size_ret)) \
    X(cl_int, ReleaseKernel, (cl_kernel kernel), (kernel)) \
    X(cl_int, SetKernelArg, (cl_kernel kernel, cl_uint index, size_t size, const void *value), \
      (kernel, index, size, value)) \
    X(cl_int, GetKernelWorkGroupInfo, (cl_kernel kernel, cl_device_id device, cl_kernel_work_group_info name, \
      size_t size, void *value, size_t *size_ret), (kernel, device, name, size, value, size_ret)) \
    X(cl_int, EnqueueNDRangeKernel, (cl_command_queue queue, cl_kernel kernel, cl_uint work_dim, \
      const size_t *global_offset, const size_t *global_size, const size_t *local_size, \
      cl_uint num_events, const cl_event *wait_list, cl_event *event), \
      (queue, kernel, work_dim, global_offset, global_size, local_size, num_events, wait_list, event)) \
    X(cl_int, EnqueueReadBuffer, (cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, \
      size_t size, void *ptr, cl_uint num_events, const cl_event *wait_list, cl_event *event), \
      (queue, buffer, blocking, offset, size, ptr, num_events, wait_list, event)) \
    X(cl_int, EnqueueWriteBuffer, (cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, \
      size_t size, const void *ptr, cl_uint num_events, const cl_event *wait_list, cl_event *event), \
      (queue, buffer, blocking, offset, size, ptr, num_events, wait_list, event)) \
    X(cl_int, EnqueueFillBuffer, (cl_command_queue queue, cl_mem buffer, const void *pattern, \
      size_t pattern_size, size_t offset, size_t size, cl_uint num_events, const cl_event *wait_list, \
      cl_event *event), (queue, buffer, pattern, pattern_size, offset, size, num_events, wait_list, event)) \
    X(cl_int, EnqueueCopyBuffer, (cl_command_queue queue, cl_mem source, cl_mem destination, size_t source_offset, \
      size_t destination_offset, size_t size, cl_uint num_events, const cl_event *wait_list, cl_event *event), \
      (queue, source, destination, source_offset, destination_offset, size, num_events, wait_list, event)) \
    X(cl_int, EnqueueMarkerWithWaitList, (cl_command_queue queue, cl_uint num_events, const cl_event *wait_list, \
      cl_event *event), (queue, num_events, wait_list, event)) \
    X(cl_int, EnqueueBarrierWithWaitList, (cl_command_queue queue, cl_uint num_events, const cl_event *wait_list, \
      cl_event *event), (queue, num_events, wait_list, event)) \
    X(cl_int, Flush, (cl_command_queue queue), (queue)) \
    X(cl_int, Finish, (cl_command_queue queue), (queue)) \
    X(cl_int, WaitForEvents, (cl_uint num_events, const cl_event *events), (num_events, events)) \
    X(cl_int, GetEventProfilingInfo, (cl_event event, cl_profiling_info name, size_t size, void *value, \
      size_t *size_ret), (event, name, size, value, size_ret)) \
    X(cl_int, ReleaseEvent, (cl_event event), (event)) \
    X(void *, GetExtensionFunctionAddressForPlatform, (cl_platform_id platform, const char *name), (platform, name))

#define COPENCL_DECLARE(ret, name, params, args) ret ocl##name params;
COPENCL_FUNCTIONS(COPENCL_DECLARE)
#undef COPENCL_DECLARE

// cl_khr_command_buffer (provisional): a sequence of commands recorded once and enqueued as one. Its entry points
// are the driver's, found through clGetExtensionFunctionAddressForPlatform; the handle types are spelled here, so
// the build does not depend on how new the system's cl_ext.h is.
typedef struct ocl_command_buffer_s *ocl_command_buffer;

/// Resolves the extension's entry points on `device`'s platform. Returns 0 when they are all there.
int ocl_command_buffer_load(cl_device_id device);
/// A command buffer for `queue` that may be enqueued again before its last run has finished.
ocl_command_buffer oclCreateCommandBufferKHR(cl_command_queue queue, cl_int *errcode_ret);
/// Records a kernel launch with the kernel's current arguments, after the command recorded before it.
cl_int oclCommandNDRangeKernelKHR(ocl_command_buffer buffer, cl_kernel kernel, cl_uint work_dim,
                                  const size_t *global_size, const size_t *local_size, cl_uint *last_sync_point,
                                  int has_last);
cl_int oclFinalizeCommandBufferKHR(ocl_command_buffer buffer);
cl_int oclEnqueueCommandBufferKHR(ocl_command_buffer buffer);
cl_int oclReleaseCommandBufferKHR(ocl_command_buffer buffer);

/// Opens the OpenCL ICD loader and resolves every entry point above.
/// `path` may be NULL: then $CLTRAIN_OPENCL_LIBRARY, else libOpenCL.so.1, is opened.
/// Returns 0 on success (also when already loaded); otherwise writes a one-line reason into `error`.
int ocl_load(const char *path, char *error, size_t error_size);

#endif
