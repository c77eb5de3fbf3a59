// dropout_forward / dropout_backward: PyTorch's inverted dropout over n floats of a batch (row-major).
//   forward:  y[e] = keep(e) ? x[e] * scale : 0
//   backward: dx[e] = keep(e) ? dy[e] * scale : 0, and 0 where mask_input and the forward input x[e] <= 0
//             (the ReLU before the dropout, fused)
// keep(e): the top 24 bits of Philox-4x32-10's first word for key (key0, key1) and counter
// (e, layer, step0, step1) are >= threshold = ceil(p * 2^24). The mask is recomputed in the backward pass, so
// no mask is stored, and it is the same on every device and in the twins (DropoutMask.keeps).
// Launch: 1-D, global = n rounded up. CPU twins: Reference.dropoutForward / dropoutBackward.

// Philox-4x32-10's first output word (Salmon et al., SC 2011), as Philox.block in Swift.
inline uint philox_first(uint4 c, uint2 k) {
    for (int round = 0; round < 10; round++) {
        if (round > 0) k += (uint2)(0x9E3779B9u, 0xBB67AE85u);
        const uint hi0 = mul_hi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
        const uint hi1 = mul_hi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
        c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c.x;
}

inline bool dropout_keeps(const int e, const uint threshold, const uint key0, const uint key1, const uint layer,
                          const uint step0, const uint step1) {
    return (philox_first((uint4)((uint)e, layer, step0, step1), (uint2)(key0, key1)) >> 8) >= threshold;
}

__kernel void dropout_forward(const int n, __global const float *x, __global float *y, const uint threshold,
                              const float scale, const uint key0, const uint key1, const uint layer,
                              const uint step0, const uint step1) {
    const int e = get_global_id(0);
    if (e >= n) return;
    y[e] = dropout_keeps(e, threshold, key0, key1, layer, step0, step1) ? x[e] * scale : 0.0f;
}

__kernel void dropout_backward(const int n, __global const float *x, __global const float *dy, __global float *dx,
                               const int mask_input, const uint threshold, const float scale, const uint key0,
                               const uint key1, const uint layer, const uint step0, const uint step1) {
    const int e = get_global_id(0);
    if (e >= n) return;
    const bool through = !(mask_input && x[e] <= 0.0f) && dropout_keeps(e, threshold, key0, key1, layer, step0, step1);
    dx[e] = through ? dy[e] * scale : 0.0f;
}
