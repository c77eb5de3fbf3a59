// Parameter updates over the flat parameter vector (every layer's tensors in one buffer, one launch).
//   sgd_update   g = grad + λ·p; if μ ≠ 0 { v = μ·v + g; g = v }; p −= lr·g            (torch.optim.SGD)
//   adam_update  g = grad + λ·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
//                p −= step_size · m / (sqrt(v) / root_correction2 + ε)                (torch.optim.Adam)
// step_size = lr / (1 − β1^t) and root_correction2 = sqrt(1 − β2^t) are computed on the host per step.
// Launch: 1-D over n. CPU twins: Reference.sgdUpdate, Reference.adamUpdate.

__kernel void sgd_update(const int n, __global float *p, __global const float *grad, __global float *velocity,
                         const float lr, const float momentum, const float weight_decay) {
    const int i = get_global_id(0);
    if (i >= n) return;
    float g = grad[i] + weight_decay * p[i];
    if (momentum != 0.0f) {
        g = momentum * velocity[i] + g;
        velocity[i] = g;
    }
    p[i] -= lr * g;
}

__kernel void adam_update(const int n, __global float *p, __global const float *grad, __global float *m,
                          __global float *v, const float step_size, const float root_correction2,
                          const float beta1, const float beta2, const float epsilon, const float weight_decay) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float g = grad[i] + weight_decay * p[i];
    const float mi = beta1 * m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (sqrt(vi) / root_correction2 + epsilon);
}
