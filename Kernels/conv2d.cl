// A 2-D convolution as PyTorch's nn.Conv2d computes it (NCHW tensors, square kernel K, stride S, zero padding P),
// done as one matrix product over the batch so the tuned matmul kernels do the arithmetic:
//   forward   conv2d_im2col           cols (patches, C·K·K): row (n, oh, ow), column (c, kh, kw) holds
//                                     X[n, c, oh·S − P + kh, ow·S − P + kw], 0 in the padding
//             matmul_forward          rows = cols · Wᵀ + b, ReLU fused   (patches, O): channels last
//             conv2d_rows_to_nchw     Y[n, o, p] = rows[n·pixels + p, o]
//   backward  conv2d_nchw_to_rows     drows[n·pixels + p, o] = dY[n, o, p]
//             matmul_backward_weight  dW = drowsᵀ · cols, db fused; W (O, C, K, K) is (O, C·K·K) as PyTorch stores it
//             matmul_backward_input   dcols = drows · W, written over cols once dW no longer needs them
//             conv2d_col2im           dX[n, c, ih, iw] = Σ dcols over the taps that read (ih, iw), zeroed where the
//                                     layer's input A ≤ 0 if `mask` (A: a ReLU output, as matmul_backward_input)
// patches = N·OH·OW, pixels = OH·OW. Launch: 3-D, one work-item per element written (a patch row for
// conv2d_im2col), its coordinates the global ids, innermost first, so no work-item divides; each kernel's
// comment gives its grid. Dimension 0 is rounded up to a multiple of 8 (KernelLibrary.grid), guarded here.
// CPU twins: Reference.conv2dIm2col, and Reference.conv2dForward / conv2dBackwardInput / conv2dBackwardWeight /
// conv2dBackwardBias for the sequences (KernelLibrary.conv2dForward / conv2dBackward).

// Grid (OW, OH, N): one work-item per patch row, whose C·K·K taps are contiguous in cols.
__kernel void conv2d_im2col(const int batch, const int channels, const int height, const int width,
                            const int ksize, const int stride, const int padding,
                            const int out_height, const int out_width,
                            __global const float *x, __global float *cols) {
    const int ow = get_global_id(0), oh = get_global_id(1), n = get_global_id(2);
    if (ow >= out_width) return;
    const int row = (n * out_height + oh) * out_width + ow;
    __global float *out = cols + row * channels * ksize * ksize;
    for (int c = 0; c < channels; c++) {
        __global const float *plane = x + (n * channels + c) * height * width;
        for (int kh = 0; kh < ksize; kh++) {
            const int ih = oh * stride - padding + kh;
            for (int kw = 0; kw < ksize; kw++) {
                const int iw = ow * stride - padding + kw;
                const bool inside = ih >= 0 && ih < height && iw >= 0 && iw < width;
                // The read is clamped to a valid pixel, so a vectorizing compiler may load unconditionally.
                const float value = plane[inside ? ih * width + iw : 0];
                *out++ = inside ? value : 0.0f;
            }
        }
    }
}

// rows (N·pixels, channels) → y (N, channels, pixels). Grid (pixels, channels, N).
__kernel void conv2d_rows_to_nchw(const int batch, const int channels, const int pixels,
                                  __global const float *rows, __global float *y) {
    const int p = get_global_id(0), o = get_global_id(1), n = get_global_id(2);
    if (p >= pixels) return;
    y[(n * channels + o) * pixels + p] = rows[(n * pixels + p) * channels + o];
}

// dy (N, channels, pixels) → rows (N·pixels, channels). Grid (channels, pixels, N).
__kernel void conv2d_nchw_to_rows(const int batch, const int channels, const int pixels,
                                  __global const float *dy, __global float *rows) {
    const int o = get_global_id(0), p = get_global_id(1), n = get_global_id(2);
    if (o >= channels) return;
    rows[(n * pixels + p) * channels + o] = dy[(n * channels + o) * pixels + p];
}

// Grid (W, H, N·C): one work-item per input element, gathering the patch-matrix entries that read it, so no two
// work-items write the same element and overlapping windows (K > S) need no atomics.
__kernel void conv2d_col2im(const int batch, const int channels, const int height, const int width,
                            const int ksize, const int stride, const int padding,
                            const int out_height, const int out_width,
                            __global const float *dcols, __global const float *a, __global float *dx, const int mask) {
    const int iw = get_global_id(0), ih = get_global_id(1), plane = get_global_id(2);
    if (iw >= width) return;
    const int i = (plane * height + ih) * width + iw, c = plane % channels, n = plane / channels;
    if (mask && a[i] <= 0.0f) { dx[i] = 0.0f; return; }
    const int patch = channels * ksize * ksize;
    float sum = 0.0f;
    for (int kh = 0; kh < ksize; kh++) {
        const int th = ih + padding - kh;  // oh·S when tap kh of output row oh reads row ih
        if (th < 0 || th % stride != 0 || th / stride >= out_height) continue;
        for (int kw = 0; kw < ksize; kw++) {
            const int tw = iw + padding - kw;
            if (tw < 0 || tw % stride != 0 || tw / stride >= out_width) continue;
            const int row = (n * out_height + th / stride) * out_width + tw / stride;
            sum += dcols[row * patch + (c * ksize + kh) * ksize + kw];
        }
    }
    dx[i] = sum;
}
