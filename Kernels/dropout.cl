// dropout_forward / dropout_backward_after_relu: PyTorch's inverted dropout over n floats of a batch (row-major).
//   forward:  y[e] = keep(e) ? x[e] * scale : 0
//   backward: dx[e] = keep(e) ? dy[e] * scale : 0, which is dropout_forward on dy (the same mask and scale); after
//             a ReLU, dropout_backward_after_relu, which also zeroes dx where the forward input x[e] <= 0 (fused)
// keep(e): the top 24 bits of Philox-4x32-10's first word for key (key0, key1) and counter
// (e, layer, step0, step1) are >= threshold = ceil(p * 2^24), (step0, step1) the step record's STEP_NUMBER words
// (common.cl). No mask is stored: the backward pass draws it again, or, after a ReLU, reads it from the forward
// output; it is the same on every device and in the twins (DropoutMask.keeps).
// Launch: 1-D, one work-item per 16·CHAINS consecutive elements of dropout_forward (which the backward pass without
// a ReLU also runs), per 16 of dropout_backward_after_relu (the counts rounded up to the group). CHAINS comes from
// Dropout.chains (`-D`), which the launcher sizes the grid by.
// CPU twins: Reference.dropoutForward / dropoutBackward.
// Philox-4x32-10 (Salmon et al., SC 2011) as Philox.block in Swift, on vectors so a CPU device runs the ten rounds in
// its SIMD lanes: lane j of words c0..c3 is counter j's. bench --model dropout on PoCL (2 cores), forward of 64×256:
// 1387 µs with a work-item per element; 38–60 µs with 16 elements a work-item and each product a 64-bit lane
// converted back; 20–23 µs now (1.2–1.4 ns a value against gather_normalize's 0.19–0.26 ns in the same runs),
// Philox-10's ten rounds of 32×32→64-bit products per value being the cost.
#ifndef CHAINS
#error "dropout.cl is built with -DCHAINS (Dropout.kernelVariants)"
#endif

// A 32×32→64-bit product of each lane of `c` with `m`, as (high words, low words): the high words from the even
// lanes and the odd ones multiplied in place as the 64-bit lanes they pair into (one vpmuludq each on x86), put back
// by masks; the low words are one 32-bit product of every lane. Building them from the 64-bit products as well cost
// a third 64-bit multiply: forward of 64×256 on PoCL 23.4–25.8 µs against 19.5–22.6 now (alternated in one run).
// Keeping each word in a 64-bit lane instead (no permute and no 32-bit product, but a shift per product) is the same
// 12 vector operations per 16 values and round, and measured the same: 20.2–26.5 µs against 21.4–26.3.
inline void multiply16(const uint16 c, const ulong m, uint16 *hi, uint16 *lo) {
    const ulong8 pairs = as_ulong8(c);
    const ulong8 even = (pairs & 0xFFFFFFFFul) * m, odd = (pairs >> 32) * m;
    *hi = as_uint16((even >> 32) | (odd & 0xFFFFFFFF00000000ul));
    *lo = c * (uint)m;
}

// Philox's first word for the CHAINS·16 counters (e + j, layer, step0, step1), as CHAINS chains of 16 lanes run side
// by side: a round's products wait on the round before, so one chain alone leaves the multipliers idle between
// rounds (64×256 forward: 29 µs with one chain, 25–31 with two, 20–28 with four, 26–40 with eight, which spill).
// Words 1–3 are the same in every lane, so the first round's product of word 2, and the second round's of word 0,
// are one scalar product each (the multiply16 above instead of converting to ulong16 and back: 40–60 → 29 µs).
inline void philox_first_words(const uint16 e, const uint layer, const uint step0, const uint step1, uint2 k,
                               uint16 *words) {
    uint16 c0[CHAINS], c1[CHAINS], c2[CHAINS], c3[CHAINS], hi[CHAINS], lo[CHAINS];
    // Round 1 on (e, layer, step0, step1).
    const ulong q = (ulong)step0 * PHILOX_M1;
    const uint a0 = (uint)(q >> 32) ^ layer ^ k.x, a1 = (uint)q;
#pragma unroll
    for (int i = 0; i < CHAINS; i++) {
        multiply16(e + (uint)(16 * i), PHILOX_M0, &hi[i], &lo[i]);
        c2[i] = hi[i] ^ step1 ^ k.y;
        c3[i] = lo[i];
    }
    // Round 2: word 0 is still one value.
    k += PHILOX_BUMP;
    const ulong r = (ulong)a0 * PHILOX_M0;
#pragma unroll
    for (int i = 0; i < CHAINS; i++) {
        multiply16(c2[i], PHILOX_M1, &hi[i], &lo[i]);
        c0[i] = hi[i] ^ a1 ^ k.x;
        c1[i] = lo[i];
        c2[i] = (uint)(r >> 32) ^ c3[i] ^ k.y;
        c3[i] = (uint16)(uint)r;
    }
    for (int round = 2; round < 10; round++) {
        k += PHILOX_BUMP;
#pragma unroll
        for (int i = 0; i < CHAINS; i++) {
            uint16 hi0, lo0, hi1, lo1;
            multiply16(c0[i], PHILOX_M0, &hi0, &lo0);
            multiply16(c2[i], PHILOX_M1, &hi1, &lo1);
            c0[i] = hi1 ^ c1[i] ^ k.x;
            c1[i] = lo1;
            c2[i] = hi0 ^ c3[i] ^ k.y;
            c3[i] = lo0;
        }
    }
#pragma unroll
    for (int i = 0; i < CHAINS; i++) words[i] = c0[i];
}

#define LANES16 ((uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

// Stores `x · scale` where kept, else 0, for the up to 16 elements of y from e0 on (n in all).
inline void store_kept16(const int e0, const int n, const int16 keep, __global const float *x, __global float *y,
                         const float scale) {
    if (e0 + 16 <= n) {
        vstore16(select((float16)0.0f, vload16(0, x + e0) * scale, keep), 0, y + e0);
    } else {
        const int kept[16] = {keep.s0, keep.s1, keep.s2, keep.s3, keep.s4, keep.s5, keep.s6, keep.s7,
                              keep.s8, keep.s9, keep.sa, keep.sb, keep.sc, keep.sd, keep.se, keep.sf};
        for (int j = 0; e0 + j < n; j++) y[e0 + j] = kept[j] ? x[e0 + j] * scale : 0.0f;
    }
}

// Each work-item handles 16·CHAINS consecutive elements; the last one of a tensor may have fewer. An element is kept
// where the top 24 bits of its word reach the threshold.
__kernel void dropout_forward(const int n, __global const float *x, __global float *y, const uint threshold,
                              const float scale, const uint key0, const uint key1, const uint layer,
                              __global const uint *restrict step) {
    const int e0 = get_global_id(0) * 16 * CHAINS;
    if (e0 >= n) return;
    uint16 words[CHAINS];
    philox_first_words((uint16)(uint)e0 + LANES16, layer, step[STEP_NUMBER_LOW], step[STEP_NUMBER_HIGH],
                       (uint2)(key0, key1), words);
#pragma unroll
    for (int i = 0; i < CHAINS; i++) {
        if (e0 + 16 * i < n) store_kept16(e0 + 16 * i, n, (words[i] >> 8) >= (uint16)threshold, x, y, scale);
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
