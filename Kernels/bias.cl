// bias_backward: db[o] = Σ_n dY[n,o], the bias gradient of a linear layer.     dY (rows, outputs)
// Training gets it from matmul_backward, which fuses it; this is the unfused form the checks keep.
// Launch: 1-D, one work-item per output, global ≥ outputs. CPU twin: Reference.biasBackward.

__kernel void bias_backward(const int rows, const int outputs, __global const float *dy, __global float *db) {
    const int o = get_global_id(0);
    if (o >= outputs) return;
    db[o] = column_sum(rows, outputs, dy, o);
}
