// Batch normalization as PyTorch's nn.BatchNorm2d / nn.BatchNorm1d compute it (affine), over x (batch, channels,
// spatial) row-major: NCHW with spatial = H·W, or (N, F) with spatial = 1. Channel c's statistics run over its
// n = batch·spatial values.
//   batchnorm_forward   training: mean and biased variance of the batch, saved[c] = mean,
//                       saved[channels + c] = 1/√(var + eps), running_mean ← (1 − m)·running_mean + m·mean,
//                       running_var ← (1 − m)·running_var + m·var·n/(n − 1) (unbiased), as PyTorch updates them;
//                       evaluation: the running statistics instead, nothing written but y.
//                       y = weight·(x − mean)/√(var + eps) + bias, then ReLU if `relu`
//   batchnorm_backward  with x̂ = (x − mean)·inv_std from the saved statistics: dweight[c] = Σ dy·x̂, dbias[c] = Σ dy,
//                       and where `write_dx`, dx = weight·inv_std·(dy − dbias/n − x̂·dweight/n), zeroed where `mask`
//                       and x (an absorbed ReLU's output) is not positive
// Launch (BatchNorm2d+Launchers.swift): one work-group of LOSS_GROUP work-items per channel, which walks the
// channel's values and sums with group_sum (common.cl): two passes for the statistics (the variance around the
// mean, not E[x²] − mean², which cancels), one to write. No atomics, and the result does not depend on timing.
// CPU twins: Reference.batchNormForward / batchNormBackward (Sources/CLTrain/Kinds/Layers/BatchNorm2d).

// Visits this work-item's share of channel c's values: a contiguous run of the channel's n values (the runs of the
// group's work-items back to back), with i its index in x; the (sample, position) pair advances without a division
// per value. Contiguous runs, not values lid, lid + LOSS_GROUP, …: PoCL runs each work-item's loop to the end before
// the next one's, so interleaved work-items each touched every cache line of the channel, and at ResNet-8's
// 128×16×28×28 (400 KB per channel) every pass went to memory again (28 ms per forward pass against 3.5 ms).
#define CHANNEL_VALUES(i) \
    for (int j_ = lid * ((count + LOSS_GROUP - 1) / LOSS_GROUP), end_ = min(count, j_ + (count + LOSS_GROUP - 1) / LOSS_GROUP), \
         n_ = j_ / spatial, p_ = j_ % spatial, i = (n_ * channels + c) * spatial + p_; j_ < end_; \
         j_++, p_++, i += p_ == spatial ? (channels - 1) * spatial + 1 : 1, p_ = p_ == spatial ? 0 : p_)

// group_sum, and a barrier so that the scratch can be written again by the next sum.
inline float channel_sum(const float value, __local float *scratch) {
    const float total = group_sum(value, scratch);
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void batchnorm_forward(const int batch, const int channels, const int spatial, const float eps, const float momentum,
                       const int training, const int relu, __global const float *x, __global const float *weight,
                       __global const float *bias, __global float *running_mean, __global float *running_var,
                       __global float *saved, __global float *y) {
    __local float scratch[LOSS_GROUP];
    const int c = get_group_id(0), lid = get_local_id(0), count = batch * spatial;
    // The sums run in evaluation too, over nothing: a barrier inside a branch, even a uniform one, made PoCL 3.1
    // lose the values the work-items computed before it.
    float sum = 0.0f;
    if (training) CHANNEL_VALUES(i) sum += x[i];
    const float batch_mean = channel_sum(sum, scratch) / count;
    float squares = 0.0f;
    if (training) CHANNEL_VALUES(i) {
        const float d = x[i] - batch_mean;
        squares += d * d;
    }
    const float variance = channel_sum(squares, scratch) / count;
    const float mean = training ? batch_mean : running_mean[c];
    const float inv_std = 1.0f / sqrt((training ? variance : running_var[c]) + eps);
    if (training && lid == 0) {
        running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
        running_var[c] = (1.0f - momentum) * running_var[c] + momentum * variance * count / (count - 1);
        saved[c] = mean;
        saved[channels + c] = inv_std;
    }
    const float scale = weight[c] * inv_std, shift = bias[c] - mean * scale;
    CHANNEL_VALUES(i) {
        const float value = x[i] * scale + shift;
        y[i] = relu ? max(value, 0.0f) : value;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void batchnorm_backward(const int batch, const int channels, const int spatial, const int mask, const int write_dx,
                        __global const float *x, __global const float *dy, __global const float *weight,
                        __global const float *saved, __global float *dweight, __global float *dbias, __global float *dx) {
    __local float scratch[LOSS_GROUP];
    const int c = get_group_id(0), lid = get_local_id(0), count = batch * spatial;
    const float mean = saved[c], inv_std = saved[channels + c];
    float sum = 0.0f, products = 0.0f;
    CHANNEL_VALUES(i) {
        sum += dy[i];
        products += dy[i] * (x[i] - mean);
    }
    const float sum_dy = channel_sum(sum, scratch), sum_dy_xhat = channel_sum(products, scratch) * inv_std;
    if (lid == 0) {
        dweight[c] = sum_dy_xhat;
        dbias[c] = sum_dy;
    }
    if (!write_dx) return;
    const float scale = weight[c] * inv_std, mean_dy = sum_dy / count, slope = sum_dy_xhat / count * inv_std;
    CHANNEL_VALUES(i) {
        const float value = scale * (dy[i] - mean_dy - (x[i] - mean) * slope);
        dx[i] = mask && !(x[i] > 0.0f) ? 0.0f : value;
    }
}
