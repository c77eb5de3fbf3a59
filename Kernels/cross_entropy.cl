// nn.CrossEntropyLoss(label_smoothing=ε) on the logits, loss and gradient in one pass (the training step's):
//   logp = log_softmax(z) row by row (the row maximum subtracted first, as in log_softmax_forward)
//   losses[slot] = (1/rows) Σ_n [ −(1 − ε)·logp[n, y_n] − ε·mean_c logp[n, c] ]
//   dz[n, c]     = (exp(logp[n, c]) − (1 − ε)·[c = y_n] − ε/C) / rows
// With ε = 0 the smoothing terms are exact zeros: the lesson's log-softmax + NLL, bit for bit.
// Labels are read through the epoch's order, y_n = labels[order[offset + n]], so a batch needs no gather. The loss
// goes to its own slot (one per batch) and is read back only when the host reports progress. offset and slot come
// from the step record (common.cl).
// Launch: 1-D, global = local = LOSS_GROUP: one work-group strides over the rows and sums with group_sum (common.cl).
// CPU twin: CrossEntropy.forwardBackward (Sources/CLTrain/Kinds/Losses/CrossEntropy).

__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void cross_entropy_forward_backward(const int rows, const int classes, __global const float *z,
                                    __global const uchar *labels, __global const int *order,
                                    __global const uint *restrict step, __global float *losses, __global float *dz,
                                    const float smoothing) {
    __local float scratch[LOSS_GROUP];
    const int offset = (int)step[STEP_OFFSET], slot = (int)step[STEP_SLOT];
    const float spread = smoothing / classes;
    float sum = 0.0f;
    for (int n = get_local_id(0); n < rows; n += LOSS_GROUP) {
        __global const float *row = z + n * classes;
        const int label = labels[order[offset + n]];
        float top = row[0];
        for (int c = 1; c < classes; c++) top = fmax(top, row[c]);
        float total = 0.0f;
        for (int c = 0; c < classes; c++) total += exp(row[c] - top);
        const float log_sum = log(total);
        float mean_logp = 0.0f;
        if (smoothing != 0.0f) {
            for (int c = 0; c < classes; c++) mean_logp += (row[c] - top) - log_sum;
            mean_logp /= classes;
        }
        for (int c = 0; c < classes; c++)
            dz[n * classes + c] = (exp((row[c] - top) - log_sum) - ((c == label ? 1.0f - smoothing : 0.0f) + spread)) / rows;
        sum += (1.0f - smoothing) * (log_sum - (row[label] - top)) - smoothing * mean_logp;
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) losses[slot] = total / rows;
}
