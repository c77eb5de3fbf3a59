// dropout_forward / dropout_backward_after_relu: PyTorch's inverted dropout over n floats of a batch (row-major).
//   forward:  y[e] = keep(e) ? x[e] * scale : 0
//   backward: dx[e] = keep(e) ? dy[e] * scale : 0, which is dropout_forward on dy (the same mask and scale); after
//             a ReLU, dropout_backward_after_relu, which also zeroes dx where the forward input x[e] <= 0 (fused)
// keep(e): the top 24 bits of Philox-4x32-10's first word for key (key0, key1) and counter
// (e, layer, step0, step1) are >= threshold = ceil(p * 2^24), (step0, step1) the step record's STEP_NUMBER words
// (common.cl). No mask is stored: the backward pass draws it again, or, after a ReLU, reads it from the forward
// output; it is the same on every device and in the twins (DropoutMask.keeps).
// Launch: 1-D, one work-item per 16 consecutive elements (⌈n/16⌉ rounded up to the group). CPU twins:
// Reference.dropoutForward / dropoutBackward.
// bench --model dropout on PoCL (2 cores), forward of 64×256: 1387 µs with a work-item per element, 60 µs now
// (3.7 ns a value against gather_normalize's 0.25 ns: Philox-10's ten rounds of 32×32→64-bit products per value).

// Philox-4x32-10's first output word (Salmon et al., SC 2011), as Philox.block in Swift, for 16 counters at once:
// lane j of c0..c3 is word 0..3 of counter j. Written on vectors so a CPU device runs the ten rounds in its SIMD
// lanes (one element per work-item took 85 ns an element on PoCL), each 32×32-bit product as one 64-bit product
// whose halves are mul_hi and the low word (60 against 70 µs with mul_hi on the 64×256 forward).
inline uint16 philox_first16(uint16 c0, uint16 c1, uint16 c2, uint16 c3, uint2 k) {
    for (int round = 0; round < 10; round++) {
        if (round > 0) k += (uint2)(0x9E3779B9u, 0xBB67AE85u);
        const ulong16 p0 = convert_ulong16(c0) * 0xD2511F53ul, p1 = convert_ulong16(c2) * 0xCD9E8D57ul;
        const uint16 hi0 = convert_uint16(p0 >> 32), lo0 = convert_uint16(p0);
        const uint16 hi1 = convert_uint16(p1 >> 32), lo1 = convert_uint16(p1);
        c0 = hi1 ^ c1 ^ k.x;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k.y;
        c3 = lo0;
    }
    return c0;
}

#define LANES16 ((uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

// Which of elements e0 … e0 + 15 are kept: lane j of the result is −1 (all bits) where e0 + j is kept.
inline int16 dropout_keeps16(const int e0, const uint threshold, const uint key0, const uint key1, const uint layer,
                             const uint step0, const uint step1) {
    const uint16 word = philox_first16((uint16)(uint)e0 + LANES16, (uint16)layer, (uint16)step0, (uint16)step1,
                                       (uint2)(key0, key1));
    return (word >> 8) >= (uint16)threshold;
}

// Each work-item handles 16 consecutive elements; the last one of a tensor may have fewer.
__kernel void dropout_forward(const int n, __global const float *x, __global float *y, const uint threshold,
                              const float scale, const uint key0, const uint key1, const uint layer,
                              __global const uint *step) {
    const int e0 = get_global_id(0) * 16;
    if (e0 >= n) return;
    const int16 keep = dropout_keeps16(e0, threshold, key0, key1, layer, step[STEP_NUMBER_LOW], step[STEP_NUMBER_HIGH]);
    if (e0 + 16 <= n) {
        vstore16(select((float16)0.0f, vload16(0, x + e0) * scale, keep), 0, y + e0);
    } else {
        const int kept[16] = {keep.s0, keep.s1, keep.s2, keep.s3, keep.s4, keep.s5, keep.s6, keep.s7,
                              keep.s8, keep.s9, keep.sa, keep.sb, keep.sc, keep.sd, keep.se, keep.sf};
        for (int j = 0; e0 + j < n; j++) y[e0 + j] = kept[j] ? x[e0 + j] * scale : 0.0f;
    }
}

// dropout_backward_after_relu: the backward pass where a ReLU comes before the dropout (mask_input), at copy speed:
// no Philox rounds, the mask is read from the forward output y. Where x > 0 the value was kept exactly where y ≠ 0
// (y = x·scale, scale ≥ 1, cannot round to 0); where x ≤ 0 (or NaN) the ReLU's mask zeroes the gradient anyway. So
// dx equals the twin's backward pass with the ReLU mask, for any x a ReLU produced on a device that keeps subnormals
// (one flushing them could turn a subnormal x·scale to 0). bench --model dropout on PoCL, 64×256: 52.6 µs for the
// backward pass that drew the mask again (Philox per value) against 4.0 µs here, in one run (0.24 ns a value;
// gather_normalize 0.48).
__kernel void dropout_backward_after_relu(const int n, __global const float *x, __global const float *y,
                                          __global const float *dy, __global float *dx, const float scale) {
    const int e0 = get_global_id(0) * 16;
    if (e0 >= n) return;
    if (e0 + 16 <= n) {
        const int16 through = (vload16(0, x + e0) > 0.0f) & (vload16(0, y + e0) != 0.0f);
        vstore16(select((float16)0.0f, vload16(0, dy + e0) * scale, through), 0, dx + e0);
    } else {
        for (int j = 0; e0 + j < n; j++) {
            dx[e0 + j] = x[e0 + j] > 0.0f && y[e0 + j] != 0.0f ? dy[e0 + j] * scale : 0.0f;
        }
    }
}
