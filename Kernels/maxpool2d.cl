// Max pooling as PyTorch's nn.MaxPool2d(K, S) computes it (no padding, floor mode) over the (n, c) planes of an
// NCHW tensor:   x (planes, H, W) → y (planes, OH, OW), OH = (H − K)/S + 1
//   maxpool2d_forward   y = the largest input of each K×K window (the first of equal maxima, a NaN over numbers);
//                       indices = where it was, as ih·W + iw in its plane (PyTorch's return_indices), kept on the
//                       device for the backward pass
//   maxpool2d_backward  dx[plane, ih, iw] = Σ dy over the windows whose index names (ih, iw), 0 elsewhere, summed
//                       in (oh, ow) order
// Written as conv2d.cl is, for CPU devices first: each work-item holds a run of one row in a vector.
// Launch (MaxPool2d+Launchers.swift), in any work-group (the grid rounded up to whole groups, as conv2d.cl's):
//   maxpool2d_forward   grid (⌈OW/8⌉, OH, planes): 8 outputs of a row, each tap one 8-lane gather, or, for 2×2
//                       windows side by side, each window row the even and odd lanes of one 16-lane load
//   maxpool2d_backward  grid (⌈W/16⌉, H, planes): 16 inputs of a row; it walks the windows that overlap them in
//                       (oh, ow) order, and each window's routed gradient lands, by one vector compare, on the
//                       lane its index names: no per-pixel division, and overlapping windows need no atomics
// LeNet-5's two poolings at batch 64 on PoCL: forward 0.08 / 0.05 ms (0.23 / 0.12 with gathers), backward 0.10 /
// 0.15 ms (from 1.0 / 0.5 and 3.1 / 1.2 ms with a work-item per element; the backward pass's loads as vectors for
// 2×2 windows changed nothing: it is the stores' cost).
// CPU twins: Reference.maxPool2dForward / maxPool2dBackward.

#define LANES8 ((int8)(0, 1, 2, 3, 4, 5, 6, 7))
#define LANES16 ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

// Takes the window's next tap where it beats the best so far: larger, or a NaN over a number; the first of equal
// maxima stays.
inline void take_tap(const float8 value, const int8 index, float8 *best, int8 *best_index) {
    const int8 better = (value > *best) | (isnan(value) & ~isnan(*best));
    *best = select(*best, value, better);
    *best_index = select(*best_index, index, better);
}

__kernel void maxpool2d_forward(const int planes, const int height, const int width, const int ksize,
                                const int stride, const int out_height, const int out_width,
                                __global const float *x, __global float *y, __global int *indices) {
    const int ow0 = get_global_id(0) * 8, oh = get_global_id(1), plane = get_global_id(2);
    if (ow0 >= out_width || oh >= out_height || plane >= planes) return;
    const int8 ow = LANES8 + ow0, live = ow < out_width;
    __global const float *in = x + plane * height * width;
    // Dead lanes read their row's first window: in bounds, never stored.
    const int8 first = oh * stride * width + select((int8)0, ow, live) * stride;
    float8 best;
    int8 best_index = first;
    const int start = oh * 2 * width + ow0 * 2;
    if (ksize == 2 && stride == 2 && plane * height * width + start + width + 16 <= planes * height * width) {
        // 2×2 windows side by side (LeNet-5's): a window row's taps are the even and odd lanes of one vector load
        // of 16 inputs (past the row's end it reads the next row's, for dead lanes only). LeNet-5's poolings on PoCL:
        // 232–245 → 81–97 µs and 114–117 → 52–61 µs, alternated in two bench --kernels-only runs.
        const float16 top = vload16(0, in + start), bottom = vload16(0, in + start + width);
        best = top.even;
        take_tap(top.odd, first + 1, &best, &best_index);
        take_tap(bottom.even, first + width, &best, &best_index);
        take_tap(bottom.odd, first + width + 1, &best, &best_index);
    } else {
        best = (float8)(in[first.s0], in[first.s1], in[first.s2], in[first.s3],
                        in[first.s4], in[first.s5], in[first.s6], in[first.s7]);
        for (int kh = 0; kh < ksize; kh++) {
            for (int kw = 0; kw < ksize; kw++) {
                const int8 index = first + kh * width + kw;
                take_tap((float8)(in[index.s0], in[index.s1], in[index.s2], in[index.s3],
                                  in[index.s4], in[index.s5], in[index.s6], in[index.s7]), index, &best, &best_index);
            }
        }
    }
    const int i = (plane * out_height + oh) * out_width;
    if (ow0 + 8 <= out_width) {
        vstore8(best, 0, y + i + ow0);
        vstore8(best_index, 0, indices + i + ow0);
        return;
    }
    float values[8];
    int places[8];
    vstore8(best, 0, values);
    vstore8(best_index, 0, places);
    for (int l = 0; ow0 + l < out_width; l++) {
        y[i + ow0 + l] = values[l];
        indices[i + ow0 + l] = places[l];
    }
}

__kernel void maxpool2d_backward(const int planes, const int height, const int width, const int ksize,
                                 const int stride, const int out_height, const int out_width,
                                 __global const float *dy, __global const int *indices, __global float *dx) {
    const int iw0 = get_global_id(0) * 16, ih = get_global_id(1), plane = get_global_id(2);
    if (iw0 >= width || ih >= height || plane >= planes) return;
    const int last_iw = min(iw0 + 15, width - 1);
    const int16 here = ih * width + LANES16 + iw0;
    // The windows oh·S ≤ i < oh·S + K that contain row ih, and those that contain a column of iw0 … last_iw.
    const int first_oh = ih < ksize ? 0 : (ih - ksize) / stride + 1, last_oh = min(out_height - 1, ih / stride);
    const int first_ow = iw0 < ksize ? 0 : (iw0 - ksize) / stride + 1, last_ow = min(out_width - 1, last_iw / stride);
    const int base = plane * out_height * out_width;
    float16 sum = 0.0f;
    for (int oh = first_oh; oh <= last_oh; oh++)
        for (int ow = first_ow; ow <= last_ow; ow++) {
            const int at = base + oh * out_width + ow;
            sum += select((float16)0.0f, (float16)dy[at], here == indices[at]);
        }
    const int row = plane * height * width + ih * width;
    if (iw0 + 16 <= width) { vstore16(sum, 0, dx + row + iw0); return; }
    float sums[16];
    vstore16(sum, 0, sums);
    for (int l = 0; iw0 + l < width; l++) dx[row + iw0 + l] = sums[l];
}
