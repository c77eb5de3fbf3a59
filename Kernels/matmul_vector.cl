// The three matrix products of a linear layer Y = X·Wᵀ + b, written for CPU devices: each work-item
// computes a small block in registers with explicit VW-wide vectors, which PoCL and other CPU drivers
// compile to SIMD (VW = 16 fills an AVX-512 register). No local memory and no barriers: on a CPU the
// caches already hold the tiles, and barriers only split the work-item loops. The loops over a block are
// marked `#pragma unroll`: PoCL (LLVM 15) leaves them rolled otherwise, which keeps the accumulators in
// stack memory and costs a load and a store per multiply-add (5× slower at 64×784→128).
//   matmul_forward         Y[n,o]  = Σ_i X[n,i]·W[o,i] + b[o], then ReLU if `relu`   X (rows, inputs), W (outputs, inputs)
//   matmul_backward        both backward products in one launch (they read the same dY and nothing the other writes):
//                          dX[n,i] = Σ_o dY[n,o]·W[o,i], zeroed where A[n,i] ≤ 0 if `mask` (A: the ReLU output fed in),
//                          dW[o,i] = Σ_n dY[n,o]·X[n,i], and the bias gradient db[o] = Σ_n dY[n,o] fused in
// CPU twins: Reference.matmulForward, matmulBackwardInput, matmulBackwardWeight (+ biasBackward).
// matmul_tiled.cl defines the same kernels for GPUs; KernelConfiguration picks one of the two files.
// Products accumulate as `acc += a * b` (contracted to an FMA where the device has one), for the reason
// matmul_tiled.cl gives.
//
// matmul_forward reduces along rows that are contiguous in both operands, so it multiplies vectors
// element-wise and sums them at the end (BM rows × BN outputs per work-item; launch: 2-D,
// global = (ceil(outputs/BN), ceil(rows/BM))). The backward products run along a contiguous row of their
// second operand, so they accumulate outer products: a scalar of the first operand times a vector of the
// second (BM rows × BV·VW columns per work-item). Both have `inputs` columns, so matmul_backward stacks their
// blocks of rows along dimension 1: global = (ceil(inputs/(BV·VW)), input_blocks + ceil(outputs/BM)), the first
// input_blocks = ceil(rows/BM) computing dX (0 where the layer needs no input gradient), the rest dW.
// A vector that runs past the right edge is read lane by lane as zeros beyond it; the edge rows are clamped
// when read, guarded when stored. KernelLibrary launches these in work-groups of a few work-items along
// dimension 0, rounding the global size up: PoCL's own choice is one or two large groups, which leaves a core idle.

#ifndef VW
#define VW 16
#endif
#ifndef BM
#define BM 4
#endif
#ifndef BN
#define BN 4
#endif
#ifndef BV
#define BV 2
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
// VW = 1 is plain floats (there is no float1): on a GPU-like device whose lanes are work-items (Rusticl's
// llvmpipe), wide vectors per work-item only spill; the tuner tries every width.
#if VW == 1
typedef float floatv;
#define VLOAD(i, p) ((p)[i])
#define VSTORE(v, i, p) ((p)[i] = (v))
#else
typedef CAT(float, VW) floatv;
#define VLOAD CAT(vload, VW)
#define VSTORE CAT(vstore, VW)
#endif

inline float horizontal_sum(floatv v) {
#if VW == 1
    return v;
#else
#if VW == 16
    const float8 s8 = v.lo + v.hi;
    const float4 s4 = s8.lo + s8.hi;
#elif VW == 8
    const float4 s4 = v.lo + v.hi;
#elif VW == 4
    const float4 s4 = v;
#endif
#if VW == 2
    const float2 s2 = v;
#else
    const float2 s2 = s4.lo + s4.hi;
#endif
    return s2.x + s2.y;
#endif
}

__kernel void matmul_forward(const int rows, const int inputs, const int outputs,
                             __global const float *x, __global const float *w, __global const float *b,
                             __global float *y, const int relu) {
    const int o0 = get_global_id(0) * BN, n0 = get_global_id(1) * BM;
    if (o0 >= outputs || n0 >= rows) return;
    __global const float *xr[BM], *wr[BN];
#pragma unroll
    for (int r = 0; r < BM; r++) xr[r] = x + min(n0 + r, rows - 1) * inputs;
#pragma unroll
    for (int c = 0; c < BN; c++) wr[c] = w + min(o0 + c, outputs - 1) * inputs;
    floatv acc[BM][BN];
#pragma unroll
    for (int r = 0; r < BM; r++)
#pragma unroll
        for (int c = 0; c < BN; c++) acc[r][c] = (floatv)(0.0f);
    int k = 0;
    for (; k + VW <= inputs; k += VW) {
        floatv a[BM], v[BN];
#pragma unroll
        for (int r = 0; r < BM; r++) a[r] = VLOAD(0, xr[r] + k);
#pragma unroll
        for (int c = 0; c < BN; c++) v[c] = VLOAD(0, wr[c] + k);
#pragma unroll
        for (int r = 0; r < BM; r++)
#pragma unroll
            for (int c = 0; c < BN; c++) acc[r][c] += a[r] * v[c];
    }
#pragma unroll
    for (int r = 0; r < BM; r++) {
        const int n = n0 + r;
#pragma unroll
        for (int c = 0; c < BN; c++) {
            const int o = o0 + c;
            float sum = horizontal_sum(acc[r][c]);
            for (int t = k; t < inputs; t++) sum += xr[r][t] * wr[c][t];
            if (n < rows && o < outputs) {
                const float value = sum + b[o];
                y[n * outputs + o] = (relu && value < 0.0f) ? 0.0f : value;  // NaN passes, as in relu_forward
            }
        }
    }
}

// The VW floats at p, read as zeros from lane `count` on (count may be ≤ 0): a vector at the right edge.
inline floatv load_partial(__global const float *p, const int count) {
    float lanes[VW];
#pragma unroll
    for (int t = 0; t < VW; t++) lanes[t] = t < count ? p[t] : 0.0f;
    return VLOAD(0, lanes);
}

// acc[r][v] += Σ_k A(m0 + r, k)·B[k·ldb + j0 + v·VW …], A read through strides. With `whole` false, a vector
// that crosses N is read lane by lane. Called with a constant `whole`, so each call compiles to its own loop:
// testing per vector inside the loop instead slows the full blocks 2× (64×784 → 128 weight gradient).
// always_inline: PoCL otherwise calls it, with `whole` unknown and the accumulators behind a pointer.
__attribute__((always_inline)) inline void outer_product_loop(const int N, const int K, __global const float *A, const int a_k, const int am[BM],
                               __global const float *B, const int ldb, const int j0, floatv acc[BM][BV],
                               const bool whole) {
    for (int k = 0; k < K; k++) {
        floatv bv[BV];
#pragma unroll
        for (int v = 0; v < BV; v++) {
            const int j = j0 + v * VW;
            __global const float *p = B + k * ldb + j;
            bv[v] = whole || j + VW <= N ? VLOAD(0, p) : load_partial(p, N - j);
        }
#pragma unroll
        for (int r = 0; r < BM; r++) {
            const floatv a = (floatv)(A[am[r] + k * a_k]);
#pragma unroll
            for (int v = 0; v < BV; v++) acc[r][v] += a * bv[v];
        }
    }
}

// C(m, j) = Σ_k A(m,k)·B[k·ldb + j] for this work-item's block of BM rows and BV·VW columns.
__attribute__((always_inline)) inline void outer_product_block(const int M, const int N, const int K,
                                __global const float *A, const int a_m, const int a_k,
                                __global const float *B, const int ldb,
                                const int m0, const int j0, floatv acc[BM][BV]) {
#pragma unroll
    for (int r = 0; r < BM; r++)
#pragma unroll
        for (int v = 0; v < BV; v++) acc[r][v] = (floatv)(0.0f);
    int am[BM];
#pragma unroll
    for (int r = 0; r < BM; r++) am[r] = min(m0 + r, M - 1) * a_m;
    if (j0 + BV * VW <= N) outer_product_loop(N, K, A, a_k, am, B, ldb, j0, acc, true);
    else outer_product_loop(N, K, A, a_k, am, B, ldb, j0, acc, false);
}

// Stores row m of a block at C + m·ldc + j0 (only the columns below N), zeroing the elements where
// the mask row is ≤ 0 when `mask` is set.
inline void store_block_row(floatv values[BV], __global float *C, const int ldc, const int m, const int j0,
                            const int N, __global const float *mask_row, const int mask) {
#pragma unroll
    for (int v = 0; v < BV; v++) {
        const int j = j0 + v * VW;
        if (j + VW <= N) {
            floatv out = values[v];
            if (mask) out = select(out, (floatv)(0.0f), VLOAD(0, mask_row + j) <= (floatv)(0.0f));
            VSTORE(out, 0, C + m * ldc + j);
        } else {
            float lanes[VW];
            VSTORE(values[v], 0, lanes);
            for (int t = 0; t < VW && j + t < N; t++)
                C[m * ldc + j + t] = (mask && mask_row[j + t] <= 0.0f) ? 0.0f : lanes[t];
        }
    }
}

__kernel void matmul_backward(const int rows, const int inputs, const int outputs, __global const float *dy,
                              __global const float *w, __global const float *x, __global const float *a, const int mask,
                              __global float *dx, __global float *dw, __global float *db, const int input_blocks) {
    const int j0 = get_global_id(0) * BV * VW, block = get_global_id(1);
    if (j0 >= inputs) return;
    floatv acc[BM][BV];
    if (block < input_blocks) {
        const int n0 = block * BM;
        outer_product_block(rows, inputs, outputs, dy, outputs, 1, w, inputs, n0, j0, acc);
        for (int r = 0; r < BM && n0 + r < rows; r++)
            store_block_row(acc[r], dx, inputs, n0 + r, j0, inputs, a + (n0 + r) * inputs, mask);
        return;
    }
    const int o0 = (block - input_blocks) * BM;
    if (o0 >= outputs) return;
    outer_product_block(outputs, inputs, rows, dy, 1, outputs, x, inputs, o0, j0, acc);
    for (int r = 0; r < BM && o0 + r < outputs; r++)
        store_block_row(acc[r], dw, inputs, o0 + r, j0, inputs, x, 0);
    // The first column of work-items also sums its outputs' bias gradients: a launch saved per layer.
    if (j0 == 0)
        for (int r = 0; r < BM && o0 + r < outputs; r++) db[o0 + r] = column_sum(rows, outputs, dy, o0 + r);
}
