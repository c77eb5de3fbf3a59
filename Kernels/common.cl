// Helpers shared by the kernel files: KernelLibrary compiles each file with this one (and the per-device
// build options) in front of it, then `#line 1` so build logs point into the file itself.

// A training step's values that change from one step to the next (StepRecord.swift): the step's kernels read them
// from this record in device memory rather than take them as arguments, so that a step recorded once in a command
// buffer replays for every batch, the host writing only the record (64 bytes) before each step.
#define STEP_OFFSET 0       // the batch's first position in the epoch's order
#define STEP_SLOT 1         // the batch's number in its epoch: where its loss goes
#define STEP_NUMBER_LOW 2   // the 1-based number of the optimizer update (it keys dropout's masks), low word first
#define STEP_NUMBER_HIGH 3
#define STEP_EPOCH 4        // the epoch (it keys augmentation's draws)
#define STEP_FACTORS 8      // four floats: the optimizer's factors for this update (OptimizerKind.stepFactors)
#define step_factor(record, i) as_float((record)[STEP_FACTORS + (i)])

// Element-wise kernels written once for a float16 body and a scalar tail (sgd.cl, adam.cl): the loads and stores of
// each, at element `at` of a buffer.
#define LOAD16(buffer, at) vload16(0, (buffer) + (at))
#define STORE16(value, buffer, at) vstore16((value), 0, (buffer) + (at))
#define LOAD1(buffer, at) (buffer)[at]
#define STORE1(value, buffer, at) ((buffer)[at] = (value))

// Philox-4x32-10's constants (Salmon et al., SC 2011; Philox.swift): the multipliers of words 0 and 2, and the
// key's increment each round. gather.cl and dropout.cl both draw from it.
#define PHILOX_M0 0xD2511F53ul
#define PHILOX_M1 0xCD9E8D57ul
#define PHILOX_BUMP ((uint2)(0x9E3779B9u, 0xBB67AE85u))

#ifndef LOSS_GROUP
#define LOSS_GROUP 64
#endif

// The sum of a vector's 16 lanes, and stores of those of its lanes that fall before `end` to p[first + lane]: for
// the kernels that work 16 values at a time (conv2d, batchnorm2d). always_inline: PoCL 3.1 otherwise calls a helper,
// and a call clobbers every vector register.
inline __attribute__((always_inline)) float sum16(const float16 v) {
    const float8 s8 = v.lo + v.hi;
    const float4 s4 = s8.lo + s8.hi;
    const float2 s2 = s4.lo + s4.hi;
    return s2.x + s2.y;
}

// a / b for 0 ≤ a < 2^22 and b ≥ 1, in floats: exact there (a + 0.5 lies at least 0.5/b from a multiple of b, and
// the division errs by at most (a/b)·2^-24 < 0.25/b), where integer division has no SIMD instruction: a vector, or
// PoCL's work-items run side by side, would divide one lane at a time (conv2d.cl, avgpool2d.cl: a pixel's row and
// column, a window's index).
inline __attribute__((always_inline)) int small_quotient(const int a, const int b) {
    return (int)(((float)a + 0.5f) / (float)b);
}

inline __attribute__((always_inline)) int16 small_quotient16(const int16 a, const int b) {
    return convert_int16((convert_float16(a) + 0.5f) / (float)b);
}

// The first n lanes of a vector to p[0…n − 1], with at most one store of each width. A row's last, partial vector
// went through the stack and back: `perf annotate` put a tenth of the samples of two of conv2d_forward's builds in
// ResNet-8 on the reload of its lanes, which waited on the smaller stores that had put them there.
inline __attribute__((always_inline)) void store_first4(__global float *p, const float4 v, const int n) {
    if (n >= 4) { vstore4(v, 0, p); return; }
    if (n >= 2) vstore2(v.lo, 0, p);
    if (n == 3) p[2] = v.z;
    if (n == 1) p[0] = v.x;
}

inline __attribute__((always_inline)) void store_first8(__global float *p, const float8 v, const int n) {
    if (n >= 8) { vstore8(v, 0, p); return; }
    if (n >= 4) { vstore4(v.lo, 0, p); store_first4(p + 4, v.hi, n - 4); }
    else store_first4(p, v.lo, n);
}

inline __attribute__((always_inline)) void store16(__global float *p, const int first, const int end, const float16 v) {
    if (first + 16 <= end) { vstore16(v, 0, p + first); return; }
    if (end - first >= 8) { vstore8(v.lo, 0, p + first); store_first8(p + first + 8, v.hi, end - first - 8); }
    else store_first8(p + first, v.lo, end - first);
}

// Lanes 0–7 to p[first + l] and lanes 8–15 to p[second + l − 8], those where `live`: two rows of a vector.
inline __attribute__((always_inline)) void store16_halves(__global float *p, const int first, const int second,
                                                         const int16 live, const float16 v) {
    float lanes[16];
    int alive[16];
    vstore16(v, 0, lanes);
    vstore16(live, 0, alive);
    for (int l = 0; l < 16; l++)
        if (alive[l]) p[l < 8 ? first + l : second + l - 8] = lanes[l];
}

// Lane l to p[first + step·l], those before `end`.
inline __attribute__((always_inline)) void store16_step(__global float *p, const int first, const int end, const int step,
                                                       const float16 v) {
    if (step == 1) { store16(p, first, end, v); return; }
    float lanes[16];
    vstore16(v, 0, lanes);
    for (int l = 0; l < 16 && first + step * l < end; l++) p[first + step * l] = lanes[l];
}

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
