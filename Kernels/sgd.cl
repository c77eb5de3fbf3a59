// SGD over the flat parameter vector (every layer's tensors in one buffer, one launch), as torch.optim.SGD
// without dampening:
//   g = grad + λ·p;  if μ ≠ 0 { v = μ·v + g;  g = nesterov ? g + μ·v : v };  p −= lr·g
// lr is this step's rate (the schedule is applied on the host), the step record's first factor (common.cl).
// velocity is not touched when μ = 0.
// Launch: 1-D over n. CPU twin: SGD.update (Sources/CLTrain/Kinds/Optimizers/SGD/SGD.swift).

__kernel void sgd_update(const int n, __global float *p, __global const float *grad, __global float *velocity,
                         __global const uint *step, const float momentum, const float weight_decay,
                         const int nesterov) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float lr = step_factor(step, 0);
    float g = grad[i] + weight_decay * p[i];
    if (momentum != 0.0f) {
        const float v = momentum * velocity[i] + g;
        velocity[i] = v;
        g = nesterov ? g + momentum * v : v;
    }
    p[i] -= lr * g;
}
