// log_softmax_forward: logp[n,c] = z[n,c] − max_c z[n,·] − log Σ_c exp(z[n,c] − max), row by row.
// Subtracting the row maximum keeps exp from overflowing for large logits, and subtracting it before the
// log-sum (not adding the two first) keeps the small log term from rounding away when logits are large.
// Launch: 1-D, one work-item per row. CPU twin: Reference.logSoftmaxForward.

__kernel void log_softmax_forward(const int rows, const int classes, __global const float *z,
                                  __global float *logp) {
    const int n = get_global_id(0);
    if (n >= rows) return;
    __global const float *row = z + n * classes;
    float top = row[0];
    for (int c = 1; c < classes; c++) top = fmax(top, row[c]);
    float sum = 0.0f;
    for (int c = 0; c < classes; c++) sum += exp(row[c] - top);
    const float log_sum = log(sum);
    for (int c = 0; c < classes; c++) logp[n * classes + c] = (row[c] - top) - log_sum;
}
