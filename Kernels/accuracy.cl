// argmax:        predictions[n] = the first c with the largest z[n,c]     Launch: 1-D, one work-item per row.
// count_correct: correct[slot] = #{n : predictions[n] = labels[order[offset + n]]}
//                Launch: 1-D, global = local = LOSS_GROUP (one work-group, summed with group_sum).
// CPU twins: Reference.argmax, Reference.countCorrect.

__kernel void argmax(const int rows, const int classes, __global const float *z, __global int *predictions) {
    const int n = get_global_id(0);
    if (n >= rows) return;
    int best = 0;
    for (int c = 1; c < classes; c++)
        if (z[n * classes + c] > z[n * classes + best]) best = c;
    predictions[n] = best;
}

__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void count_correct(const int rows, __global const int *predictions, __global const uchar *labels,
                   __global const int *order, const int offset, __global int *correct, const int slot) {
    __local float scratch[LOSS_GROUP];
    float count = 0.0f;  // exact: counts stay far below 2^24
    for (int n = get_local_id(0); n < rows; n += LOSS_GROUP) count += predictions[n] == labels[order[offset + n]];
    const float total = group_sum(count, scratch);
    if (get_local_id(0) == 0) correct[slot] = (int)total;
}
