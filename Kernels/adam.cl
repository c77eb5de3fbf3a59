// Adam over the flat parameter vector (one launch), as torch.optim.Adam, and AdamW's decoupled decay:
//   p *= decay_factor;  g = grad + λ·p;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
//   p −= step_size · m / (sqrt(v) / root_correction2 + ε)
// step_size = lr / (1 − β1^t), root_correction2 = sqrt(1 − β2^t) and decay_factor (1 − lr·λ_w for AdamW,
// exactly 1 for Adam) are computed on the host per step, and read from the step record's factors 0, 1 and 2
// (common.cl); λ is 0 for AdamW, whose decay is decay_factor.
// Launch: 1-D, one work-item per 16 elements (⌈n/16⌉), as float16 vectors but at the end of the vector, as
// sgd.cl does and for its reason. CPU twin: Adam.update (Sources/CLTrain/Kinds/Optimizers/Adam/Adam.swift).

// The update of the elements at `at`, as values of type T (float or float16) that LOAD reads and STORE writes.
#define ADAM_UPDATE(T, LOAD, STORE, at)                                                                            \
    {                                                                                                            \
        const T pi = LOAD(p, at) * decay_factor;                                                                 \
        const T g = LOAD(grad, at) + weight_decay * pi;                                                          \
        const T mi = beta1 * LOAD(m, at) + (1.0f - beta1) * g;                                                   \
        const T vi = beta2 * LOAD(v, at) + (1.0f - beta2) * g * g;                                               \
        STORE(mi, m, at);                                                                                        \
        STORE(vi, v, at);                                                                                        \
        STORE(pi - step_size * mi / (sqrt(vi) / root_correction2 + epsilon), p, at);                             \
    }

__kernel void adam_update(const int n, __global float *p, __global const float *grad, __global float *m,
                          __global float *v, __global const uint *restrict step, const float beta1, const float beta2,
                          const float epsilon, const float weight_decay) {
    const int i0 = get_global_id(0) * 16;
    if (i0 >= n) return;
    const float step_size = step_factor(step, 0), root_correction2 = step_factor(step, 1);
    const float decay_factor = step_factor(step, 2);
    if (i0 + 16 <= n) {
        ADAM_UPDATE(float16, LOAD16, STORE16, i0)
    } else {
        for (int i = i0; i < n; i++) ADAM_UPDATE(float, LOAD1, STORE1, i)
    }
}
