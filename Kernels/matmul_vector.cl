// The three matrix products of a linear layer Y = X·Wᵀ + b, written for CPU devices: each work-item
// computes a small block in registers with explicit VW-wide vectors, which PoCL and other CPU drivers
// compile to SIMD (VW = 16 fills an AVX-512 register). No local memory and no barriers: on a CPU the
// caches already hold the tiles, and barriers only split the work-item loops.
//   matmul_forward         Y[n,o]  = Σ_i X[n,i]·W[o,i] + b[o], then ReLU if `relu`   X (rows, inputs), W (outputs, inputs)
//   matmul_backward_input  dX[n,i] = Σ_o dY[n,o]·W[o,i], zeroed where A[n,i] ≤ 0 if `mask` (A: the ReLU output fed in)
//   matmul_backward_weight dW[o,i] = Σ_n dY[n,o]·X[n,i]
// CPU twins: Reference.matmulForward, matmulBackwardInput, matmulBackwardWeight.
// matmul_tiled.cl defines the same kernels for GPUs; KernelConfiguration picks one of the two files.
//
// matmul_forward reduces along rows that are contiguous in both operands, so it multiplies vectors
// element-wise and sums them at the end (BM rows × BN outputs per work-item; launch: 2-D,
// global = (ceil(outputs/BN), ceil(rows/BM))). The backward products run along a contiguous row of their
// second operand, so they accumulate outer products: a scalar of the first operand times a vector of the
// second (BM rows × BV·VW columns per work-item; global = (ceil(columns/(BV·VW)), ceil(rows/BM))).
// Work-items at the right edge fall back to scalars; the edge rows are clamped when read, guarded when stored.

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
typedef CAT(float, VW) floatv;
#define VLOAD CAT(vload, VW)
#define VSTORE CAT(vstore, VW)

inline float horizontal_sum(floatv v) {
#if VW == 16
    const float8 s8 = v.lo + v.hi;
    const float4 s4 = s8.lo + s8.hi;
#elif VW == 8
    const float4 s4 = v.lo + v.hi;
#else
    const float4 s4 = v;
#endif
    const float2 s2 = s4.lo + s4.hi;
    return s2.x + s2.y;
}

__kernel void matmul_forward(const int rows, const int inputs, const int outputs,
                             __global const float *x, __global const float *w, __global const float *b,
                             __global float *y, const int relu) {
    const int o0 = get_global_id(0) * BN, n0 = get_global_id(1) * BM;
    if (o0 >= outputs || n0 >= rows) return;
    __global const float *xr[BM], *wr[BN];
    for (int r = 0; r < BM; r++) xr[r] = x + min(n0 + r, rows - 1) * inputs;
    for (int c = 0; c < BN; c++) wr[c] = w + min(o0 + c, outputs - 1) * inputs;
    floatv acc[BM][BN];
    for (int r = 0; r < BM; r++)
        for (int c = 0; c < BN; c++) acc[r][c] = (floatv)(0.0f);
    int k = 0;
    for (; k + VW <= inputs; k += VW) {
        floatv a[BM], v[BN];
        for (int r = 0; r < BM; r++) a[r] = VLOAD(0, xr[r] + k);
        for (int c = 0; c < BN; c++) v[c] = VLOAD(0, wr[c] + k);
        for (int r = 0; r < BM; r++)
            for (int c = 0; c < BN; c++) acc[r][c] = fma(a[r], v[c], acc[r][c]);
    }
    for (int r = 0; r < BM; r++) {
        const int n = n0 + r;
        for (int c = 0; c < BN; c++) {
            const int o = o0 + c;
            float sum = horizontal_sum(acc[r][c]);
            for (int t = k; t < inputs; t++) sum = fma(xr[r][t], wr[c][t], sum);
            if (n < rows && o < outputs) {
                const float value = sum + b[o];
                y[n * outputs + o] = (relu && value < 0.0f) ? 0.0f : value;  // NaN passes, as in relu_forward
            }
        }
    }
}

// C(m, j) = Σ_k A(m,k)·B[k·ldb + j] for this work-item's block, A read through strides. `full` tells
// whether all BV·VW columns exist; an edge block accumulates column by column instead.
inline void outer_product_block(const int M, const int N, const int K,
                                __global const float *A, const int a_m, const int a_k,
                                __global const float *B, const int ldb,
                                const int m0, const int j0, floatv acc[BM][BV]) {
    for (int r = 0; r < BM; r++)
        for (int v = 0; v < BV; v++) acc[r][v] = (floatv)(0.0f);
    int am[BM];
    for (int r = 0; r < BM; r++) am[r] = min(m0 + r, M - 1) * a_m;
    if (j0 + BV * VW <= N) {
        for (int k = 0; k < K; k++) {
            floatv bv[BV];
            for (int v = 0; v < BV; v++) bv[v] = VLOAD(0, B + k * ldb + j0 + v * VW);
            for (int r = 0; r < BM; r++) {
                const floatv a = (floatv)(A[am[r] + k * a_k]);
                for (int v = 0; v < BV; v++) acc[r][v] = fma(a, bv[v], acc[r][v]);
            }
        }
    } else {
        // The right edge: fewer than BV·VW columns remain, so read them one at a time.
        float edge[BM][BV * VW];
        for (int r = 0; r < BM; r++)
            for (int t = 0; t < BV * VW; t++) edge[r][t] = 0.0f;
        for (int k = 0; k < K; k++)
            for (int t = 0; t < BV * VW && j0 + t < N; t++) {
                const float bk = B[k * ldb + j0 + t];
                for (int r = 0; r < BM; r++) edge[r][t] = fma(A[am[r] + k * a_k], bk, edge[r][t]);
            }
        for (int r = 0; r < BM; r++)
            for (int v = 0; v < BV; v++) acc[r][v] = VLOAD(0, &edge[r][v * VW]);
    }
}

// Stores row m of a block at C + m·ldc + j0 (only the columns below N), zeroing the elements where
// the mask row is ≤ 0 when `mask` is set.
inline void store_block_row(floatv values[BV], __global float *C, const int ldc, const int m, const int j0,
                            const int N, __global const float *mask_row, const int mask) {
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

__kernel void matmul_backward_input(const int rows, const int inputs, const int outputs,
                                    __global const float *dy, __global const float *w, __global const float *a,
                                    __global float *dx, const int mask) {
    const int j0 = get_global_id(0) * BV * VW, n0 = get_global_id(1) * BM;
    if (j0 >= inputs || n0 >= rows) return;
    floatv acc[BM][BV];
    outer_product_block(rows, inputs, outputs, dy, outputs, 1, w, inputs, n0, j0, acc);
    for (int r = 0; r < BM && n0 + r < rows; r++)
        store_block_row(acc[r], dx, inputs, n0 + r, j0, inputs, a + (n0 + r) * inputs, mask);
}

__kernel void matmul_backward_weight(const int rows, const int inputs, const int outputs,
                                     __global const float *dy, __global const float *x, __global float *dw) {
    const int j0 = get_global_id(0) * BV * VW, o0 = get_global_id(1) * BM;
    if (j0 >= inputs || o0 >= outputs) return;
    floatv acc[BM][BV];
    outer_product_block(outputs, inputs, rows, dy, 1, outputs, x, inputs, o0, j0, acc);
    for (int r = 0; r < BM && o0 + r < outputs; r++)
        store_block_row(acc[r], dw, inputs, o0 + r, j0, inputs, x, 0);
}
