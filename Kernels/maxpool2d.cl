// Max pooling as PyTorch's nn.MaxPool2d(K, S) computes it (no padding, floor mode) over the (n, c) planes of an
// NCHW tensor:   x (planes, H, W) → y (planes, OH, OW), OH = (H − K)/S + 1
//   maxpool2d_forward   y = the largest input of each K×K window (the first of equal maxima, a NaN over numbers);
//                       indices = where it was, as ih·W + iw in its plane (PyTorch's return_indices), kept on the
//                       device for the backward pass
//   maxpool2d_backward  dx[plane, ih, iw] = Σ dy over the windows whose index names (ih, iw), 0 elsewhere
// Launch: 3-D, one work-item per element written (y, or dx: gathering, so overlapping windows need no atomics),
// grid (columns, rows, planes) of that tensor, dimension 0 rounded up to a multiple of 8 and guarded here.
// CPU twins: Reference.maxPool2dForward / maxPool2dBackward.

__kernel void maxpool2d_forward(const int planes, const int height, const int width, const int ksize,
                                const int stride, const int out_height, const int out_width,
                                __global const float *x, __global float *y, __global int *indices) {
    const int ow = get_global_id(0), oh = get_global_id(1), plane = get_global_id(2);
    if (ow >= out_width) return;
    const int i = (plane * out_height + oh) * out_width + ow;
    __global const float *in = x + plane * height * width;
    const int first = oh * stride * width + ow * stride;
    float best = in[first];
    int best_index = first;
    for (int kh = 0; kh < ksize; kh++) {
        for (int kw = 0; kw < ksize; kw++) {
            const int index = first + kh * width + kw;
            const float value = in[index];
            if (value > best || (isnan(value) && !isnan(best))) { best = value; best_index = index; }
        }
    }
    y[i] = best;
    indices[i] = best_index;
}

__kernel void maxpool2d_backward(const int planes, const int height, const int width, const int ksize,
                                 const int stride, const int out_height, const int out_width,
                                 __global const float *dy, __global const int *indices, __global float *dx) {
    const int iw = get_global_id(0), ih = get_global_id(1), plane = get_global_id(2);
    if (iw >= width) return;
    const int here = ih * width + iw, i = plane * height * width + here;
    // The windows oh·S ≤ ih < oh·S + K that contain row ih, and likewise for columns.
    const int first_oh = ih < ksize ? 0 : (ih - ksize) / stride + 1, last_oh = min(out_height - 1, ih / stride);
    const int first_ow = iw < ksize ? 0 : (iw - ksize) / stride + 1, last_ow = min(out_width - 1, iw / stride);
    const int base = plane * out_height * out_width;
    float sum = 0.0f;
    for (int oh = first_oh; oh <= last_oh; oh++)
        for (int ow = first_ow; ow <= last_ow; ow++) {
            const int at = base + oh * out_width + ow;
            if (indices[at] == here) sum += dy[at];
        }
    dx[i] = sum;
}
