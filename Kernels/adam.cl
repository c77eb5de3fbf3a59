// Adam over the flat parameter vector (one launch), as torch.optim.Adam, and AdamW's decoupled decay:
//   p *= decay_factor;  g = grad + λ·p;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
//   p −= step_size · m / (sqrt(v) / root_correction2 + ε)
// step_size = lr / (1 − β1^t), root_correction2 = sqrt(1 − β2^t) and decay_factor (1 − lr·λ_w for AdamW,
// exactly 1 for Adam) are computed on the host per step, and read from the step record's factors 0, 1 and 2
// (common.cl); λ is 0 for AdamW, whose decay is decay_factor.
// Launch: 1-D over n. CPU twin: Adam.update (Sources/CLTrain/Kinds/Optimizers/Adam/Adam.swift).

__kernel void adam_update(const int n, __global float *p, __global const float *grad, __global float *m,
                          __global float *v, __global const uint *step, const float beta1, const float beta2,
                          const float epsilon, const float weight_decay) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float step_size = step_factor(step, 0), root_correction2 = step_factor(step, 1);
    const float decay_factor = step_factor(step, 2);
    const float pi = p[i] * decay_factor;
    const float g = grad[i] + weight_decay * pi;
    const float mi = beta1 * m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * mi / (sqrt(vi) / root_correction2 + epsilon);
}
