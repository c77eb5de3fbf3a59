// The addition that closes a residual block, out = body(x) + shortcut(x), and its backward pass:
//   residual_forward   y = a + b (the body's output and the shortcut's), then ReLU if `relu` (a ReLU after the block)
//   residual_backward  dx = a + b (the input gradients through the body and through the shortcut), zeroed where
//                      `mask` and x (the block's input, an absorbed ReLU's output) is not positive
// The gradient with respect to y reaches the body and the shortcut as it is: neither kernel is needed for it.
// Launch (Residual+Launchers.swift): 1-D, one work-item per value.
// CPU twins: Reference.residualForward / residualBackward (Sources/CLTrain/Kinds/Layers/Residual).

__kernel void residual_forward(const int count, __global const float *a, __global const float *b, const int relu,
                               __global float *y) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float value = a[i] + b[i];
    y[i] = relu ? max(value, 0.0f) : value;
}

__kernel void residual_backward(const int count, __global const float *a, __global const float *b,
                                __global const float *x, const int mask, __global float *dx) {
    const int i = get_global_id(0);
    if (i >= count) return;
    dx[i] = mask && !(x[i] > 0.0f) ? 0.0f : a[i] + b[i];
}
