// relu_forward / relu_backward: element-wise ReLU and its gradient over n floats.
// Launch: 1-D, global = n rounded up to the work-group size. CPU twins: Reference.reluForward / reluBackward.

__kernel void relu_forward(__global const float *x, __global float *y, const int n) {
    const int i = get_global_id(0);
    // Not fmax, which returns 0 for NaN: NaN passes through, as in PyTorch and the twin, so a diverging
    // run shows in its loss instead of being masked.
    if (i < n) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

// dx = dy where the forward input was positive, else 0.
__kernel void relu_backward(__global const float *x, __global const float *dy, __global float *dx, const int n) {
    const int i = get_global_id(0);
    if (i < n) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}
