// Average pooling as PyTorch's nn.AvgPool2d(K, S) computes it (no padding, floor mode), and nn.AdaptiveAvgPool2d
// where the output divides the input (a KH×KW window at stride KH×KW; global average pooling is one window over
// the whole plane), over the (n, c) planes of an NCHW tensor:
//   x (planes, H, W) → y (planes, OH, OW), OH = (H − KH)/SH + 1, OW = (W − KW)/SW + 1
//   avgpool2d_forward   y[p, oh, ow] = (Σ_{kh<KH, kw<KW} x[p, oh·SH + kh, ow·SW + kw]) / (KH·KW)
//   avgpool2d_backward  dx[p, ih, iw] = (Σ dy[p, oh, ow] over the windows that hold (ih, iw)) / (KH·KW), zeroed
//                       where mask is set and the input x (an absorbed ReLU's output) is not positive
// Average pooling does not commute with ReLU, so a ReLU before it is applied by the layer before and masked here.
// Launch (AvgPool2d+Launchers.swift): forward 1-D, one work-item per output; backward one per input, grid
// (H·W rounded up to 64, planes): it gathers, so overlapping windows need no atomics.
// CPU twins: Reference.avgPool2dForward / avgPool2dBackward (Sources/CLTrain/Kinds/Layers/AvgPool2d).

__kernel void avgpool2d_forward(const int planes, const int height, const int width, const int kernel_height,
                                const int kernel_width, const int stride_height, const int stride_width,
                                const int out_height, const int out_width, __global const float *x, __global float *y) {
    const int i = get_global_id(0);
    if (i >= planes * out_height * out_width) return;
    const int ow = i % out_width, oh = i / out_width % out_height, plane = i / (out_width * out_height);
    __global const float *window = x + (plane * height + oh * stride_height) * width + ow * stride_width;
    float sum = 0.0f;
    for (int kh = 0; kh < kernel_height; kh++) {
        for (int kw = 0; kw < kernel_width; kw++) sum += window[kh * width + kw];
    }
    y[i] = sum / (float)(kernel_height * kernel_width);
}

// Where windows do not overlap (stride ≥ kernel: avgpool2d's default, global pooling) an input has at most one
// window, found with no loop. PoCL runs a kernel one work-item at a time where a loop's trip count varies, instead of
// 8 or 16 side by side: ResNet-8's global pooling took 2.5 ms a step that way; in a harness, 64×16×26×26 inputs of
// 2×2 windows took 8.3 ms with the loop and 1.3 ms without; so it divides by sizes in floats (small_quotient).
__kernel void avgpool2d_backward(const int planes, const int height, const int width, const int kernel_height,
                                 const int kernel_width, const int stride_height, const int stride_width,
                                 const int out_height, const int out_width, __global const float *dy,
                                 __global const float *x, const int mask, __global float *dx) {
    const int p = get_global_id(0), plane = get_global_id(1), pixels = height * width;
    if (p >= pixels || plane >= planes) return;
    const int ih = small_quotient(p, width), iw = p - ih * width;
    __global const float *grad = dy + plane * out_height * out_width;
    float sum = 0.0f;
    if (stride_height >= kernel_height && stride_width >= kernel_width) {
        const int oh = small_quotient(ih, stride_height), ow = small_quotient(iw, stride_width);
        if (oh < out_height && ow < out_width && ih - oh * stride_height < kernel_height && iw - ow * stride_width < kernel_width)
            sum = grad[oh * out_width + ow];
    } else {
        // The windows holding (ih, iw): oh·SH ≤ ih < oh·SH + KH, the same across.
        const int oh_first = max(0, (ih - kernel_height + stride_height) / stride_height);
        const int oh_last = min(out_height - 1, ih / stride_height);
        const int ow_first = max(0, (iw - kernel_width + stride_width) / stride_width);
        const int ow_last = min(out_width - 1, iw / stride_width);
        for (int oh = oh_first; oh <= oh_last; oh++) {
            for (int ow = ow_first; ow <= ow_last; ow++) sum += grad[oh * out_width + ow];
        }
    }
    const float g = sum / (float)(kernel_height * kernel_width);
    const int i = plane * pixels + p;
    dx[i] = mask ? (x[i] > 0.0f ? g : 0.0f) : g;
}
