// The three matrix products of a linear layer Y = X·Wᵀ + b, tiled in local memory for GPUs.
//   matmul_forward         Y[n,o]  = Σ_i X[n,i]·W[o,i] + b[o], then ReLU if `relu`   X (rows, inputs), W (outputs, inputs)
//   matmul_backward        both backward products in one launch (they read the same dY and nothing the other writes):
//                          dX[n,i] = Σ_o dY[n,o]·W[o,i], zeroed where A[n,i] ≤ 0 if `mask` (A: the ReLU output fed in),
//                          dW[o,i] = Σ_n dY[n,o]·X[n,i], and the bias gradient db[o] = Σ_n dY[n,o] fused in
// CPU twins: Reference.matmulForward, matmulBackwardInput, matmulBackwardWeight (+ biasBackward).
//
// matmul_vector.cl defines the same kernels for CPU devices; KernelConfiguration picks one of the two files.
// The products share one tiled body, C(M,N) = Σ_k A(m,k)·B(k,n), where each form passes the strides that
// read its operands in place (no transposed copies). A work-group computes a TS×TS tile of C: it stages
// TK-deep slices of A and B in local memory, and each work-item accumulates a WM×WN block in registers.
// Launch: 2-D, local = (TS/WN, TS/WM), global = (ceil(N/TS)·TS/WN, ceil(M/TS)·TS/WM); dimension 0 runs
// along N. Edges are zero-padded when staged and guarded when stored, so any M, N, K work. matmul_backward stacks
// its two products' tiles along dimension 1: its first input_groups = ceil(rows/TS) rows of work-groups compute
// dX (none where the layer needs no input gradient), the next ceil(outputs/TS) dW; a group never straddles the two,
// so the barriers stay uniform within it.
// TS, TK, WM, WN are build options chosen per device (see KernelConfiguration).
// Products accumulate as `acc += a * b`, not fma(): OpenCL C lets a compiler contract it to an FMA where the
// device has one, while fma() must be exact everywhere, and Rusticl's llvmpipe computes it in software (4× slower
// steps there).

#ifndef TS
#define TS 32
#endif
#ifndef TK
#define TK 16
#endif
#ifndef WM
#define WM 4
#endif
#ifndef WN
#define WN 4
#endif
#define RM (TS / WM)
#define RN (TS / WN)

// Accumulates this work-item's WM×WN block of C into acc, for the tile in row `tile_m` of tiles; element (i, j) of
// the block is C(m0 + local_id(1) + i·RM, n0 + local_id(0) + j·RN) with m0 = tile_m·TS, n0 = group_id(0)·TS.
inline void matmul_tile(const int M, const int N, const int K,
                        __global const float *A, const int a_m, const int a_k,
                        __global const float *B, const int b_k, const int b_n, const int tile_m,
                        __local float *As, __local float *Bs, float acc[WM][WN]) {
    const int tn = get_local_id(0), tm = get_local_id(1);
    const int m0 = tile_m * TS, n0 = get_group_id(0) * TS;
    const int lid = tm * RN + tn;
    for (int i = 0; i < WM; i++)
        for (int j = 0; j < WN; j++) acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TK) {
        for (int e = lid; e < TS * TK; e += RM * RN) {
            const int kk = e / TS, t = e % TS;
            const int k = k0 + kk, m = m0 + t, n = n0 + t;
            As[kk * TS + t] = (m < M && k < K) ? A[m * a_m + k * a_k] : 0.0f;
            Bs[kk * TS + t] = (n < N && k < K) ? B[k * b_k + n * b_n] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TK; kk++) {
            float a[WM], b[WN];
            for (int i = 0; i < WM; i++) a[i] = As[kk * TS + tm + i * RM];
            for (int j = 0; j < WN; j++) b[j] = Bs[kk * TS + tn + j * RN];
            for (int i = 0; i < WM; i++)
                for (int j = 0; j < WN; j++) acc[i][j] += a[i] * b[j];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel __attribute__((reqd_work_group_size(RN, RM, 1)))
void matmul_forward(const int rows, const int inputs, const int outputs,
                    __global const float *x, __global const float *w, __global const float *b,
                    __global float *y, const int relu) {
    __local float As[TS * TK], Bs[TS * TK];
    float acc[WM][WN];
    matmul_tile(rows, outputs, inputs, x, inputs, 1, w, 1, inputs, get_group_id(1), As, Bs, acc);
    for (int i = 0; i < WM; i++) {
        const int n = get_group_id(1) * TS + get_local_id(1) + i * RM;
        for (int j = 0; j < WN; j++) {
            const int o = get_group_id(0) * TS + get_local_id(0) + j * RN;
            if (n < rows && o < outputs) {
                const float v = acc[i][j] + b[o];
                y[n * outputs + o] = (relu && v < 0.0f) ? 0.0f : v;  // NaN passes, as in relu_forward
            }
        }
    }
}

__kernel __attribute__((reqd_work_group_size(RN, RM, 1)))
void matmul_backward(const int rows, const int inputs, const int outputs, __global const float *dy,
                     __global const float *w, __global const float *x, __global const float *a, const int mask,
                     __global float *dx, __global float *dw, __global float *db, const int input_groups) {
    __local float As[TS * TK], Bs[TS * TK];
    float acc[WM][WN];
    const int tile = get_group_id(1);
    if (tile < input_groups) {
        matmul_tile(rows, inputs, outputs, dy, outputs, 1, w, inputs, 1, tile, As, Bs, acc);
        for (int i = 0; i < WM; i++) {
            const int n = tile * TS + get_local_id(1) + i * RM;
            for (int j = 0; j < WN; j++) {
                const int k = get_group_id(0) * TS + get_local_id(0) + j * RN;
                if (n < rows && k < inputs) {
                    const int at = n * inputs + k;
                    dx[at] = (mask && a[at] <= 0.0f) ? 0.0f : acc[i][j];
                }
            }
        }
        return;
    }
    const int weight_tile = tile - input_groups;
    matmul_tile(outputs, inputs, rows, dy, 1, outputs, x, inputs, 1, weight_tile, As, Bs, acc);
    for (int i = 0; i < WM; i++) {
        const int o = weight_tile * TS + get_local_id(1) + i * RM;
        for (int j = 0; j < WN; j++) {
            const int k = get_group_id(0) * TS + get_local_id(0) + j * RN;
            if (o < outputs && k < inputs) dw[o * inputs + k] = acc[i][j];
        }
        // The first column of work-items also sums its rows' bias gradients: a launch saved per layer.
        if (get_group_id(0) == 0 && get_local_id(0) == 0 && o < outputs) db[o] = column_sum(rows, outputs, dy, o);
    }
}
