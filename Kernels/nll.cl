// Negative log-likelihood loss over log-probabilities, and its gradient through log-softmax: the evaluation's
// loss, and the unfused forms of the training loss (cross_entropy.cl fuses both into one pass).
//   nll_loss                 losses[slot] = −(1/rows) Σ_n logp[n, y_n]
//   nll_log_softmax_backward dz[n,c]      = (exp(logp[n,c]) − [c = y_n]) / rows
// Labels are read through the epoch's order, y_n = labels[order[offset + n]], so a batch needs no gather.
// The loss is written to its own slot (one per batch) and never read back per batch: the host reads all
// of an epoch's losses when it reports progress.
// CPU twins: Reference.nllLoss, Reference.nllLogSoftmaxBackward.
//
// nll_loss: one work-group strides over the rows and sums with group_sum (common.cl).
// Launch: 1-D, global = local = LOSS_GROUP. nll_log_softmax_backward: 1-D, one work-item per row.

__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void nll_loss(const int rows, const int classes, __global const float *logp, __global const uchar *labels,
              __global const int *order, const int offset, __global float *losses, const int slot) {
    __local float scratch[LOSS_GROUP];
    float sum = 0.0f;
    for (int n = get_local_id(0); n < rows; n += LOSS_GROUP) sum -= logp[n * classes + labels[order[offset + n]]];
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) losses[slot] = total / rows;
}

__kernel void nll_log_softmax_backward(const int rows, const int classes, __global const float *logp,
                                       __global const uchar *labels, __global const int *order, const int offset,
                                       __global float *dz) {
    const int n = get_global_id(0);
    if (n >= rows) return;
    const int label = labels[order[offset + n]];
    for (int c = 0; c < classes; c++)
        dz[n * classes + c] = (exp(logp[n * classes + c]) - (c == label ? 1.0f : 0.0f)) / rows;
}
