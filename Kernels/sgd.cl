// SGD over the flat parameter vector (every layer's tensors in one buffer, one launch), as torch.optim.SGD
// without dampening:
//   g = grad + λ·p;  if μ ≠ 0 { v = μ·v + g;  g = nesterov ? g + μ·v : v };  p −= lr·g
// lr is this step's rate (the schedule is applied on the host), the step record's first factor (common.cl).
// velocity is not touched when μ = 0.
// Launch: 1-D, one work-item per 16 elements (⌈n/16⌉), as float16 vectors but at the end of the vector. On PoCL the
// lesson's 109408 parameters took 31 µs with a work-item per element and the rate an argument, 60 µs once the rate
// came from the step record (a value loaded in the kernel, unlike an argument, is not known to be the same in every
// work-item, which stopped PoCL vectorizing across them), and 22 µs in vectors of 16. CPU twin: SGD.update (Sources/CLTrain/Kinds/Optimizers/SGD/SGD.swift).

// The update of the elements at `at`, as values of type T (float or float16) that LOAD reads and STORE writes.
#define SGD_UPDATE(T, LOAD, STORE, at)                                                                             \
    {                                                                                                            \
        T g = LOAD(grad, at) + weight_decay * LOAD(p, at);                                                       \
        if (momentum != 0.0f) {                                                                                  \
            const T v = momentum * LOAD(velocity, at) + g;                                                       \
            STORE(v, velocity, at);                                                                              \
            g = nesterov ? g + momentum * v : v;                                                                 \
        }                                                                                                        \
        STORE(LOAD(p, at) - lr * g, p, at);                                                                      \
    }

__kernel void sgd_update(const int n, __global float *p, __global const float *grad, __global float *velocity,
                         __global const uint *restrict step, const float momentum, const float weight_decay,
                         const int nesterov) {
    const int i0 = get_global_id(0) * 16;
    if (i0 >= n) return;
    const float lr = step_factor(step, 0);
    if (i0 + 16 <= n) {
        SGD_UPDATE(float16, LOAD16, STORE16, i0)
    } else {
        for (int i = i0; i < n; i++) SGD_UPDATE(float, LOAD1, STORE1, i)
    }
}
