// Helpers shared by the kernel files: KernelLibrary compiles each file with this one (and the per-device
// build options) in front of it, then `#line 1` so build logs point into the file itself.

#ifndef LOSS_GROUP
#define LOSS_GROUP 64
#endif

// Sums `value` over a work-group of LOSS_GROUP work-items (a power of two); the result is valid in
// work-item 0. Reductions over a whole batch use one such group, so they need no atomics.
inline float group_sum(float value, __local float *scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = LOSS_GROUP / 2; width > 0; width /= 2) {
        if (lid < width) scratch[lid] += scratch[lid + width];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return scratch[0];
}

// Σ_n dy[n, o] over a (rows, outputs) matrix: the bias gradient of output o. Shared by bias_backward and the
// matmul_backward kernels, which fuse it to save a launch per layer.
inline float column_sum(const int rows, const int outputs, __global const float *dy, const int o) {
    float sum = 0.0f;
    for (int n = 0; n < rows; n++) sum += dy[n * outputs + o];
    return sum;
}
