// A 2-D convolution as PyTorch's nn.Conv2d computes it (NCHW tensors, square kernel K, stride S, zero padding P),
// computed directly: no patch matrix, no transposes, each kernel reads and writes NCHW.
//   conv2d_forward          Y[n, o, oh, ow] = b[o] + Σ_{c, kh, kw} W[o, c, kh, kw] · X[n, c, oh·S − P + kh, ow·S − P + kw]
//                           (0 in the padding), then ReLU if `relu`
//   conv2d_backward_input   dX[n, c, ih, iw] = Σ W[o, c, kh, kw] · dY[n, o, oh, ow] over the taps that read (ih, iw),
//                           zeroed where the layer's input A ≤ 0 if `mask` (A: a ReLU output, as matmul_backward)
//   conv2d_backward_weight  dW[o, c, kh, kw] = Σ_{n, oh, ow} dY[n, o, oh, ow] · X[n, c, …], and db[o] = Σ dY[n, o, …]
//   conv2d_channels_last, conv2d_backward_weight_channels_last: the same gradients, from a zero-bordered
//                           channels-last copy of X, where C is a multiple of 16 (faster on PoCL: see below)
// Written for CPU devices first (PoCL compiles explicit vectors to SIMD, and leaves loops over work-items and
// runtime-bounded loops scalar): a work-item holds 16 consecutive pixels of one image row as a float16 and loops
// over the taps; with stride 1 the 16 inputs a tap reads are contiguous, so each is one vector load shared by the
// CB channels the work-item accumulates. `cltrain bench --model lenet5` on PoCL (batch 64, 2 shared cores): forward
// 0.23 / 0.35 ms (conv 1 / conv 2), backward_input 0.53 ms (conv 2), backward_weight 0.27 / 0.61 ms.
// Launch (Conv2d+Launchers.swift), in any work-group: `cltrain tune` may choose one per shape and round the grid up
// to whole groups in every dimension, so each work-item checks all three of its coordinates:
//   conv2d_forward          grid (⌈OW/16⌉, OH, N·⌈O/CB⌉), or (⌈OH·OW/16⌉, 1, N·⌈O/CB⌉) where `flat`, or
//                           (1, ⌈OH/2⌉, N·⌈O/CB⌉) where OW ≤ 8 (two rows a vector)
//   conv2d_backward_input   grid (S·⌈⌈W/S⌉/16⌉, H, N·⌈C/CB⌉), or (⌈H·W/16⌉, 1, N·⌈C/CB⌉) where `flat`
//   conv2d_backward_weight  grid (K, C, ⌈O/OB⌉·slices), by default in groups of one: each sums over its slice of the
//                           batch (by default one: all of it) for all kw (KW at a time) of one (c, kh) and OB output
//                           channels, reusing each dY vector across the KW taps and each X vector across the OB
//                           channels. Taps past K are skipped, not masked: ResNet-8's weight gradients on PoCL (bench
//                           --kernels-only, batch 128) took 167 ms a step with the masked taps computed, 100 ms
//                           without (its 1×1: 17.9 → 5.8 ms). The grid is small (LeNet-5's conv 1: 5·1·2 work-items),
//                           which a CPU fills but a GPU does not: `cltrain tune` may split the batch into slices,
//                           whose gradients conv2d_sum_slices then adds up, grid (W + O). Where `flat` (as in
//                           conv2d_forward) it runs over each plane flattened, 16 pixels at a time across rows:
//                           ResNet-8's 64-channel 7×7 layer 14.6–14.8 → 9.0–10.8 ms a step on PoCL (bench
//                           --kernels-only, batch 128, two alternated runs).

// CPU twins: Reference.conv2dForward / conv2dBackwardInput / conv2dBackwardWeight / conv2dBackwardBias.

// CB, OB and KW (below) come from Conv2d.blockings: the file is built once for each, and each launch takes the
// build its launcher's rule picks, unless `cltrain tune` chose another for its shape.
#if !defined(CB) || !defined(OB) || !defined(KW)
#error "conv2d.cl is built with -DCB, -DOB and -DKW (Conv2d.kernelVariants)"
#endif
#define LANES ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

// The helpers are always_inline: PoCL 3.1 otherwise calls them, and a call clobbers every vector register, so
// each accumulator went through the stack around each load (the kernels ran 3–8× slower).
// p[index] in each lane where `ok`, 0 elsewhere, each lane read alone: for lanes whose indices follow no pattern.
inline __attribute__((always_inline)) float16 gather16(__global const float *p, const int16 index, const int16 ok) {
    const int16 i = select((int16)0, index, ok);
    const float16 v = (float16)(p[i.s0], p[i.s1], p[i.s2], p[i.s3], p[i.s4], p[i.s5], p[i.s6], p[i.s7],
                                p[i.s8], p[i.s9], p[i.sa], p[i.sb], p[i.sc], p[i.sd], p[i.se], p[i.sf]);
    return select((float16)0.0f, v, ok);
}

// p[first + step·lane] in each lane where `ok`, 0 elsewhere. Within the buffer's `count` floats, consecutive lanes
// (step 1) are one vector load, every other float (step 2: the taps of a stride-2 convolution) the even lanes of
// two; otherwise each lane reads alone. ResNet-8's stride-2 convolutions gathered lane by lane before: forward 5.8
// and 2.1 ms at 39.6 and 12.0 GFLOP/s (3×3 and 1×1, 16 → 32 channels, batch 128). The start is a scalar, so that a
// loop computes no vector of indices unless it gathers (`perf` showed a vector add before each of ResNet-8's weight
// gradient loads; no change in time stood out of the noise).
inline __attribute__((always_inline)) float16 load16(__global const float *p, const int count, const int first,
                                                    const int16 ok, const int step) {
    if (step == 1 && first >= 0 && first + 16 <= count) return select((float16)0.0f, vload16(0, p + first), ok);
    if (step == 2 && first >= 0 && first + 32 <= count) {
        const float16 a = vload16(0, p + first), b = vload16(0, p + first + 16);
        return select((float16)0.0f, (float16)(a.even, b.even), ok);
    }
    return gather16(p, first + step * LANES, ok);
}

// load16 where lanes 8–15 start at `second` instead of first + 8·step: two rows of at most 8 values in one vector.
// Each half is a vector load (consecutive lanes) or the even lanes of one (every other float) where it lies within
// the buffer's `count` floats; otherwise each lane reads alone.
inline __attribute__((always_inline)) float16 load16_halves(__global const float *p, const int count, const int first,
                                                           const int second, const int16 ok, const int step) {
    if (second == first + 8 * step) return load16(p, count, first, ok, step);
    const int inside = first >= 0 && second >= 0 && max(first, second) + 8 * step <= count;
    if (step == 1 && inside) return select((float16)0.0f, (float16)(vload8(0, p + first), vload8(0, p + second)), ok);
    if (step == 2 && inside) return select((float16)0.0f, (float16)(vload16(0, p + first).even, vload16(0, p + second).even), ok);
    return gather16(p, select(first + step * LANES, second + step * (LANES - 8), LANES >= 8), ok);
}

// `flat`: a "same" convolution on rows narrower than a vector (Conv2d.runsFlat), whose work-items each take 16
// consecutive pixels of the flattened output plane, across rows (grid (⌈OH·OW/16⌉, 1, N·⌈O/CB⌉)): ResNet-8's 7×7
// planes filled 7 lanes of 16 row by row. The X a tap reads for them is contiguous too, shifted by the tap. Either
// way each lane has its output row and column (the same row in every lane, unless flat).
__kernel void conv2d_forward(const int batch, const int channels, const int height, const int width,
                             const int ksize, const int stride, const int padding,
                             const int out_height, const int out_width, const int out_channels,
                             __global const float *x, __global const float *w, __global const float *b,
                             __global float *y, const int relu, const int flat) {
    const int blocks = (out_channels + CB - 1) / CB, pixels = out_height * out_width;
    const int n = get_global_id(2) / blocks, o0 = get_global_id(2) % blocks * CB;
    // Lane l's output is y[plane + first + l], where first + l < end; paired, y[plane + oh·OW + ow] where `live`.
    // Lanes 8–15 read X `x_next` floats after lanes 0–7.
    int16 oh, ow, live;
    int first, end, x_next = 8 * stride;
    const int paired = !flat && out_width <= 8;
    if (flat) {
        first = get_global_id(0) * 16, end = pixels;
        if (first >= pixels || get_global_id(1) > 0 || n >= batch) return;
        const int16 p = LANES + first;
        oh = small_quotient16(p, out_width);
        ow = p - oh * out_width;
        live = p < pixels;
    } else if (paired) {
        // Rows of at most 8 outputs (ResNet-8's stride-2 7×7 planes) go two at a time, lanes 0–7 on row oh and
        // 8–15 on row oh + 1, where one at a time a vector held 7 of 16 (Conv2d.pairsRows).
        const int row = get_global_id(1) * 2;
        if (get_global_id(0) > 0 || row >= out_height || n >= batch) return;
        oh = row + (LANES >> 3);
        ow = LANES & 7;
        live = (ow < out_width) & (oh < out_height);
        first = row * out_width, end = first + 2 * out_width, x_next = stride * width;
    } else {
        const int ow0 = get_global_id(0) * 16, row = get_global_id(1);
        if (ow0 >= out_width || row >= out_height || n >= batch) return;
        oh = (int16)row;
        ow = LANES + ow0;
        live = ow < out_width;
        first = row * out_width + ow0, end = (row + 1) * out_width;
    }
    const int count = batch * channels * height * width;
    float16 acc[CB];
    // Where each channel's weights start (channels past the last repeat it: computed, never stored). Hoisted so
    // that a tap's weight is one broadcast load at a fixed offset from the tap's address; indexing it in the loop
    // let the compiler vectorize the index arithmetic and extract each address from a vector, 3× the instructions.
    int filter[CB];
#pragma unroll
    for (int j = 0; j < CB; j++) {
        filter[j] = min(o0 + j, out_channels - 1) * channels * ksize * ksize;
        acc[j] = (float16)b[min(o0 + j, out_channels - 1)];
    }
    // Lane 0's tap (kh, kw) reads x[plane + at + kh·width + kw]; lane l's, l·stride further (flat: stride 1).
    const int at = (oh.s0 * stride - padding) * width + ow.s0 * stride - padding;
    // Kernel rows outermost, as in conv2d_backward_input: a row outside the image is skipped once.
    for (int kh = 0; kh < ksize; kh++) {
        const int16 ih = oh * stride - padding + kh, rows = live & (ih >= 0) & (ih < height);
        if (!any(rows)) continue;
        for (int c = 0; c < channels; c++) {
            const int plane = (n * channels + c) * height * width;
            for (int kw = 0; kw < ksize; kw++) {
                const int16 iw = ow * stride - padding + kw;
                const int start = plane + at + kh * width + kw;
                const float16 v = load16_halves(x, count, start, start + x_next, rows & (iw >= 0) & (iw < width), stride);
                __global const float *tap = w + (c * ksize + kh) * ksize + kw;
#pragma unroll
                for (int j = 0; j < CB; j++) acc[j] += tap[filter[j]] * v;
            }
        }
    }
#pragma unroll
    for (int j = 0; j < CB; j++) {
        if (o0 + j >= out_channels) break;
        // Not fmax, which turns NaN into 0: NaN passes the ReLU, as in relu_forward and the twin.
        const float16 value = relu ? select(acc[j], (float16)(0.0f), isless(acc[j], (float16)(0.0f))) : acc[j];
        __global float *plane = y + (n * out_channels + o0 + j) * pixels;
        if (paired) store16_halves(plane, first, first + out_width, live, value);
        else store16(plane, first, end, value);
    }
}

// Row by row, each work-item takes 16 pixels of one phase of a row, iw = S·(l0 + lane) + q for q < S: the taps
// that reach them (kw ≡ q + P mod S) then read 16 consecutive dY values, and no tap is computed only to be masked.
// ResNet-8's stride-2 input gradients, computed for every tap and masked by lane parity before (the dY read as
// pairs), took 12.6 and 14.1 ms a step at 16–18 GFLOP/s (3×3), 3.4 and 4.7 ms at 6–8 (1×1).
__kernel void conv2d_backward_input(const int batch, const int channels, const int height, const int width,
                                    const int ksize, const int stride, const int padding,
                                    const int out_height, const int out_width, const int out_channels,
                                    __global const float *dy, __global const float *w, __global const float *a,
                                    __global float *dx, const int mask, const int flat) {
    const int blocks = (channels + CB - 1) / CB, pixels = height * width;
    const int n = get_global_id(2) / blocks, c0 = get_global_id(2) % blocks * CB;
    // Lane l's input gradient is dx[plane + first + step·l], where first + step·l < end.
    int16 ih, iw, live;
    int first, end, row = 0, phase = 0, l0 = 0, step = 1;
    if (flat) {
        first = get_global_id(0) * 16, end = pixels;
        if (first >= pixels || get_global_id(1) > 0 || n >= batch) return;
        const int16 p = LANES + first;
        ih = small_quotient16(p, width);
        iw = p - ih * width;
        live = p < pixels;
    } else {
        phase = get_global_id(0) % stride, l0 = get_global_id(0) / stride * 16, row = get_global_id(1), step = stride;
        if (stride * l0 + phase >= width || row >= height || n >= batch) return;
        ih = (int16)row;
        iw = stride * (LANES + l0) + phase;
        live = iw < width;
        first = row * width + stride * l0 + phase, end = (row + 1) * width;
    }
    const int count = batch * out_channels * out_height * out_width;
    float16 acc[CB];
    int filter[CB];  // as in conv2d_forward: where channel c0 + j's weights start within an output channel's
#pragma unroll
    for (int j = 0; j < CB; j++) {
        filter[j] = min(c0 + j, channels - 1) * ksize * ksize;
        acc[j] = 0.0f;
    }
    const int first_kw = (phase + padding) % stride;  // the first tap of the phase's columns
    // Kernel rows outermost, so that a row no output reaches is skipped once, not once an output channel: a stride-2
    // 1×1 projection's odd rows have no taps at all.
    for (int kh = 0; kh < ksize; kh++) {
        // Row by row, tap kh of output row oh reads row ih where th = ih + P − kh = oh·S: the same in every lane.
        const int th = row + padding - kh, oh = th / stride;
        int16 rows = live;
        if (flat) {
            const int16 lane_oh = ih + padding - kh;  // stride 1
            rows &= (lane_oh >= 0) & (lane_oh < out_height);
            if (!any(rows)) continue;
        } else if (th < 0 || th % stride != 0 || oh >= out_height) {
            continue;
        }
        for (int o = 0; o < out_channels; o++) {
            const int plane = (n * out_channels + o) * out_height * out_width;
            // Lane l reads dY column ow = l0 + l + shift, where S·ow = iw + P − kw exactly; flat, the lanes' own
            // pixels shifted by the tap.
            for (int kw = first_kw, shift = (phase + padding - first_kw) / stride; kw < ksize; kw += stride, shift--) {
                const float16 v = flat ? load16(dy, count, plane + first + (padding - kh) * out_width + padding - kw,
                                                rows & (iw + padding - kw >= 0) & (iw + padding - kw < out_width), 1)
                                       : load16(dy, count, plane + oh * out_width + l0 + shift,
                                                rows & (LANES + l0 + shift >= 0) & (LANES + l0 + shift < out_width), 1);
                __global const float *tap = w + (o * channels * ksize + kh) * ksize + kw;
#pragma unroll
                for (int j = 0; j < CB; j++) acc[j] += tap[filter[j]] * v;
            }
        }
    }
#pragma unroll
    for (int j = 0; j < CB; j++) {
        if (c0 + j >= channels) break;
        const int plane = (n * channels + c0 + j) * pixels;
        float16 r = acc[j];
        // Bounded by the buffer, not the row: lanes past the row are masked anyway, and near a row's end a vector
        // load would otherwise become 16 scalar ones.
        if (mask) r = select(r, (float16)0.0f, load16(a, batch * channels * pixels, plane + first, live, step) <= 0.0f);
        store16_step(dx + plane, first, end, step, r);
    }
}

// Each work-item holds OB output channels × KW taps of a kernel row: a dY vector feeds KW products and an X
// vector OB, all OB·min(K, KW) accumulators in registers. The KW X vectors are loaded first, then the OB dY vectors
// one at a time: OB·KW + KW + 1 registers. Holding the OB dY vectors instead (OB·KW + OB + 1: 33 for the widest
// build) spilled accumulators to the stack: ResNet-8's weight gradients took 58–60 ms a step, 44–53 after.
// In the weight-gradient kernels: where row oh of dY's plane (n, o) starts, o clamped to the last channel (its
// products are computed, never stored).
#define dy_row(n, o, oh) ((((n) * out_channels + min(o, out_channels - 1)) * out_height + (oh)) * out_width)
// The products of one vector of pixels in a weight-gradient kernel: the pass's X vectors first (load_x, for tap j),
// then each of the OB dY vectors in turn (load_dy, for channel o0 + r), for the first `taps` of the pass's KW taps.
// Taps past K are guarded, not a `break`: PoCL 3.1 does not unroll a loop that breaks, and its accumulators, indexed
// by j, then lived on the stack (a load and a store around each FMA); masking their loads alone still paid for them
// (ResNet-8's 1×1 weight gradients ran at 1.4–2.0 GFLOP/s computing 5 taps).
#define WEIGHT_TAPS(load_x, load_dy, taps)                                                                     \
    {                                                                                                          \
        float16 v[KW];                                                                                         \
        _Pragma("unroll") for (int j = 0; j < KW; j++) v[j] = j < (taps) ? load_x : 0.0f;                      \
        _Pragma("unroll") for (int r = 0; r < OB; r++) {                                                       \
            const float16 d = load_dy;                                                                         \
            _Pragma("unroll") for (int j = 0; j < KW; j++) if (j < (taps)) acc[r][j] += d * v[j];              \
        }                                                                                                      \
    }
// The lanes of tap kw0 + j that read inside the image in conv2d_backward_weight: output columns `ow` of rows `live`.
#define x_lanes(j) (live & (ow * stride - padding + kw0 + (j) >= 0) & (ow * stride - padding + kw0 + (j) < width))
// A pass of all KW taps (every pass of a 3×3 kernel in the widest build) takes a copy whose guards are constants:
// guarded against the runtime K, each of its products had a compare and a branch of its own (`perf annotate`).
#define WEIGHT_PRODUCTS(load_x, load_dy)                                                                       \
    if (kw0 + KW <= ksize) WEIGHT_TAPS(load_x, load_dy, KW)                                                    \
    else WEIGHT_TAPS(load_x, load_dy, ksize - kw0)

// In a weight-gradient kernel's work-item of slice `slice`: sliced, its gradients go to `partial` instead, each
// slice's [dw | db] after the one before, for conv2d_sum_slices to add up.
#define SLICE_GRADIENTS                                                                                        \
    if (slices > 1) {                                                                                          \
        const int weights = out_channels * channels * ksize * ksize;                                           \
        dw = partial + slice * (weights + out_channels);                                                       \
        db = dw + weights;                                                                                     \
    }

// A pass's accumulators in a weight-gradient kernel, zeroed.
inline __attribute__((always_inline)) void zero_accumulators(float16 acc[OB][KW]) {
#pragma unroll
    for (int r = 0; r < OB; r++)
#pragma unroll
        for (int j = 0; j < KW; j++) acc[r][j] = 0.0f;
}

// db[o0 + r] = Σ dY[n, o0 + r, …] over the images [first, end), for the OB channels from o0 that exist: the bias
// pass of both weight-gradient kernels.
inline __attribute__((always_inline)) void bias_gradients(__global const float *dy, __global float *db, const int batch,
                                                         const int out_channels, const int out_height,
                                                         const int out_width, const int o0, const int first,
                                                         const int end) {
    const int dy_count = batch * out_channels * out_height * out_width;
    for (int r = 0; r < OB && o0 + r < out_channels; r++) {
        float16 sum = 0.0f;
        for (int n = first; n < end; n++)
            for (int oh = 0; oh < out_height; oh++)
                for (int ow0 = 0; ow0 < out_width; ow0 += 16) {
                    const int16 ow = LANES + ow0;
                    sum += load16(dy, dy_count, dy_row(n, o0 + r, oh) + ow0, ow < out_width, 1);
                }
        db[o0 + r] = sum16(sum);
    }
}

__kernel void conv2d_backward_weight(const int batch, const int channels, const int height, const int width,
                                     const int ksize, const int stride, const int padding,
                                     const int out_height, const int out_width, const int out_channels,
                                     __global const float *dy, __global const float *x,
                                     __global float *dw, __global float *db, __global float *partial, const int flat,
                                     const int slices) {
    const int blocks = (out_channels + OB - 1) / OB, slice = get_global_id(2) / blocks;
    const int kh = get_global_id(0), c = get_global_id(1), o0 = get_global_id(2) % blocks * OB;
    if (kh >= ksize || c >= channels || slice >= slices) return;
    const int count = batch * channels * height * width, dy_count = batch * out_channels * out_height * out_width;
    // Slice s of the batch.
    const int first = slice * batch / slices, end = (slice + 1) * batch / slices;
    const int pixels = out_height * out_width;
    SLICE_GRADIENTS
    for (int kw0 = 0; kw0 < ksize; kw0 += KW) {
        float16 acc[OB][KW];
        zero_accumulators(acc);
        for (int n = first; n < end; n++) {
            const int plane = (n * channels + c) * height * width;
            if (flat) {
                // A "same" convolution on rows narrower than a vector: 16 consecutive pixels of the flattened plane
                // at a time, across rows. The dY plane is contiguous, and so is the X that a tap reads for them,
                // shifted by the tap, where it is inside the image. ResNet-8's 7×7 planes filled 7 lanes of 16
                // a vector row by row.
                for (int p0 = 0; p0 < pixels; p0 += 16) {
                    const int16 p = LANES + p0, in_plane = p < pixels;
                    const int16 oh = small_quotient16(p, width), ow = p - oh * width;
                    const int16 ih = oh - padding + kh, live = in_plane & (ih >= 0) & (ih < height);
                    const int x_first = plane + p0 + (kh - padding) * width - padding + kw0;
                    WEIGHT_PRODUCTS(load16(x, count, x_first + j, x_lanes(j), 1), load16(dy, dy_count, dy_row(n, o0 + r, 0) + p0, in_plane, 1))
                }
                continue;
            }
            if (out_width <= 8) {
                // Rows of at most 8 outputs (ResNet-8's stride-2 7×7 planes) go two at a time, lanes 0–7 on row oh
                // and 8–15 on row oh + 1, where one at a time a vector held 7 of 16.
                const int16 lane_oh = (LANES >> 3), ow = LANES & 7;
                for (int oh = 0; oh < out_height; oh += 2) {
                    const int16 ih = (oh + lane_oh) * stride - padding + kh;
                    const int16 live = (oh + lane_oh < out_height) & (ih >= 0) & (ih < height) & (ow < out_width);
                    if (!any(live)) continue;
                    const int x_row = plane + (oh * stride - padding + kh) * width - padding + kw0;
                    WEIGHT_PRODUCTS(load16_halves(x, count, x_row + j, x_row + j + stride * width, x_lanes(j), stride),
                                    load16_halves(dy, dy_count, dy_row(n, o0 + r, oh), dy_row(n, o0 + r, oh) + out_width, live, 1))
                }
                continue;
            }
            for (int oh = 0; oh < out_height; oh++) {
                const int ih = oh * stride - padding + kh;
                if (ih < 0 || ih >= height) continue;
                for (int ow0 = 0; ow0 < out_width; ow0 += 16) {
                    const int16 ow = LANES + ow0, live = ow < out_width;
                    const int x_row = plane + ih * width + ow0 * stride - padding + kw0;
                    WEIGHT_PRODUCTS(load16(x, count, x_row + j, x_lanes(j), stride), load16(dy, dy_count, dy_row(n, o0 + r, oh) + ow0, live, 1))
                }
            }
        }
#pragma unroll
        for (int r = 0; r < OB; r++) {
            if (o0 + r >= out_channels) break;
#pragma unroll
            for (int j = 0; j < KW; j++)
                if (kw0 + j < ksize) dw[(((o0 + r) * channels + c) * ksize + kh) * ksize + kw0 + j] = sum16(acc[r][j]);
        }
    }
    // The work-items of (c, kh) = (0, 0) also sum db for their channels, in a pass of their own: its accumulators
    // in the loop above spilled the others.
    if (kh == 0 && c == 0) bias_gradients(dy, db, batch, out_channels, out_height, out_width, o0, first, end);
}

// conv2d_channels_last: the layer's input X (NCHW) as conv2d_backward_weight_channels_last reads it, channels last
// with a zero border of P (PyTorch's channels_last, padded): xt[n][P + ih][P + iw][c] = X[n, c, ih, iw], 0 where a
// row or column lies in the border. Each work-item writes one padded row of 16 channels of one image, reading 16
// columns of each channel's row at a time as vectors and writing them back as 16 vectors of 16 channels, one a
// column: a transpose in registers. Gathering each column's 16 channels lane by lane instead took 5.5–5.7 ms of
// ResNet-8's step on PoCL (bench --kernels-only, batch 128) against 3.6–3.7. Lanes past the row read the next one
// and are never stored; only where the 16 rows would read past the buffer does it copy value by value: through
// load16 there, Mesa's llvmpipe took 245 s to compile this kernel, 1.2 s this way.
// Launch: grid (H + 2P, N·C/16), C a multiple of 16 (Conv2d.runsChannelsLast), in any work-group.
#define CHANNELS_AT(l) (float16)(r[0].s##l, r[1].s##l, r[2].s##l, r[3].s##l, r[4].s##l, r[5].s##l, r[6].s##l,      \
                                 r[7].s##l, r[8].s##l, r[9].s##l, r[10].s##l, r[11].s##l, r[12].s##l, r[13].s##l,     \
                                 r[14].s##l, r[15].s##l)
#define STORE_COLUMN(l, s) if (l < columns) vstore16(CHANNELS_AT(s), 0, out + l * channels);
__kernel void conv2d_channels_last(const int batch, const int channels, const int height, const int width,
                                   const int padding, __global const float *x, __global float *xt) {
    const int padded_height = height + 2 * padding, padded_width = width + 2 * padding, vectors = channels / 16;
    const int row = get_global_id(0), n = get_global_id(1) / vectors, c0 = get_global_id(1) % vectors * 16;
    if (row >= padded_height || n >= batch) return;
    __global float *padded_row = xt + (n * padded_height + row) * padded_width * channels + c0;
    const int ih = row - padding;
    if (ih < 0 || ih >= height) {
        for (int pw = 0; pw < padded_width; pw++) vstore16((float16)0.0f, 0, padded_row + pw * channels);
        return;
    }
    for (int pw = 0; pw < padding; pw++) {
        vstore16((float16)0.0f, 0, padded_row + pw * channels);
        vstore16((float16)0.0f, 0, padded_row + (padded_width - 1 - pw) * channels);
    }
    const int plane = height * width, count = batch * channels * plane;
    __global const float *p = x + ((n * channels + c0) * height + ih) * width;
    for (int iw0 = 0; iw0 < width; iw0 += 16) {
        __global float *out = padded_row + (padding + iw0) * channels;
        const int columns = min(16, width - iw0);
        if ((p - x) + 15 * plane + iw0 + 16 <= count) {
            float16 r[16];
#pragma unroll
            for (int c = 0; c < 16; c++) r[c] = vload16(0, p + c * plane + iw0);
            STORE_COLUMN(0, 0) STORE_COLUMN(1, 1) STORE_COLUMN(2, 2) STORE_COLUMN(3, 3)
            STORE_COLUMN(4, 4) STORE_COLUMN(5, 5) STORE_COLUMN(6, 6) STORE_COLUMN(7, 7)
            STORE_COLUMN(8, 8) STORE_COLUMN(9, 9) STORE_COLUMN(10, a) STORE_COLUMN(11, b)
            STORE_COLUMN(12, c) STORE_COLUMN(13, d) STORE_COLUMN(14, e) STORE_COLUMN(15, f)
        } else {
            for (int l = 0; l < columns; l++)
                for (int c = 0; c < 16; c++) out[l * channels + c] = p[c * plane + iw0 + l];
        }
    }
}

// conv2d_backward_weight for 16 input channels at a time, from X as conv2d_channels_last lays it out: a work-item
// holds OB output channels × KW taps of a kernel row × 16 input channels, and goes pixel by pixel. Each tap reads
// one vector of 16 channels (in the border: zeros, so no lane is masked and stride 2 reads as stride 1 does), and
// each dY value is one broadcast shared by the KW taps. ResNet-8's weight gradients on PoCL (bench --kernels-only,
// batch 128, three alternated rounds): 38.8–41.1 → 16.9–20.2 ms a step, plus 3.8–4.0 for the copies.
// Launch: grid (K, C/16, ⌈O/OB⌉·slices) in groups of one, as conv2d_backward_weight, whose slices, partial sums and
// bias pass it shares.
__kernel void conv2d_backward_weight_channels_last(const int batch, const int channels, const int height,
                                                   const int width, const int ksize, const int stride,
                                                   const int padding, const int out_height, const int out_width,
                                                   const int out_channels, __global const float *dy,
                                                   __global const float *xt, __global float *dw, __global float *db,
                                                   __global float *partial, const int slices) {
    const int blocks = (out_channels + OB - 1) / OB, slice = get_global_id(2) / blocks;
    const int kh = get_global_id(0), c0 = get_global_id(1) * 16, o0 = get_global_id(2) % blocks * OB;
    if (kh >= ksize || c0 >= channels || slice >= slices) return;
    const int first = slice * batch / slices, end = (slice + 1) * batch / slices;
    SLICE_GRADIENTS
    const int padded_height = height + 2 * padding, padded_width = width + 2 * padding;
    for (int kw0 = 0; kw0 < ksize; kw0 += KW) {
        float16 acc[OB][KW];
        zero_accumulators(acc);
        for (int n = first; n < end; n++)
            for (int oh = 0; oh < out_height; oh++) {
                // Tap (kh, kw) of output (oh, ow) reads padded pixel (oh·S + kh, ow·S + kw).
                __global const float *x_row = xt + ((n * padded_height + oh * stride + kh) * padded_width + kw0) * channels + c0;
                for (int ow = 0; ow < out_width; ow++)
                    WEIGHT_PRODUCTS(vload16(0, x_row + (ow * stride + j) * channels), (float16)dy[dy_row(n, o0 + r, oh) + ow])
            }
#pragma unroll
        for (int r = 0; r < OB; r++) {
            if (o0 + r >= out_channels) break;
#pragma unroll
            for (int j = 0; j < KW; j++) {
                if (kw0 + j >= ksize) continue;
                float sums[16];
                vstore16(acc[r][j], 0, sums);
                for (int l = 0; l < 16; l++) dw[(((o0 + r) * channels + c0 + l) * ksize + kh) * ksize + kw0 + j] = sums[l];
            }
        }
    }
    if (kh == 0 && c0 == 0) bias_gradients(dy, db, batch, out_channels, out_height, out_width, o0, first, end);
}

// The gradients of a sliced conv2d_backward_weight: dw[i] = Σ_s partial[s·(W + O) + i] for i < W (the weights), db
// from the O values after them, each slice's gradients laid out as [dw | db]. Summed in slice order, so a choice
// gives the same gradients every step. Launch: one work-item per value, W + O of them, in any work-group.
__kernel void conv2d_sum_slices(const int weights, const int biases, const int slices, __global const float *partial,
                                __global float *dw, __global float *db) {
    const int i = get_global_id(0), stride = weights + biases;
    if (i >= stride) return;
    float sum = 0.0f;
    for (int s = 0; s < slices; s++) sum += partial[s * stride + i];
    if (i < weights) dw[i] = sum; else db[i - weights] = sum;
}
