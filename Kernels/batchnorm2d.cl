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

// Visits this work-item's share of channel c's values 16 at a time: the channel is `batch` runs of `spatial`
// contiguous values, cut into chunks of 16 (a run's last chunk may be shorter), and the work-items take contiguous
// shares of the chunks, so each reads whole cache lines (interleaved work-items each touched every line of the
// channel: 28 ms per ResNet-8 forward pass against 3.5). `i` is the chunk's first index in x, `left` how many of
// its 16 lanes are the channel's. One value at a time, the index arithmetic kept PoCL's loops scalar: 2.6 ms for a
// forward pass over 128×16×28×28 (2.5 GFLOP/s, bench --model resnet8).
#define CHANNEL_CHUNKS(i, left) \
    for (int runs_ = (spatial + 15) / 16, share_ = (batch * runs_ + LOSS_GROUP - 1) / LOSS_GROUP, \
         u_ = lid * share_, end_ = min(batch * runs_, u_ + share_), i = 0, left = 0; \
         u_ < end_ && (i = (u_ / runs_ * channels + c) * spatial + u_ % runs_ * 16, left = min(16, spatial - u_ % runs_ * 16), 1); \
         u_++)

// The lanes of a chunk that are the channel's: all 16, or its first `left`.
inline int16 chunk_lanes(const int left) {
    return (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) < left;
}

// p[i + lane] in the chunk's lanes, 0 elsewhere: one vector load where the chunk is whole.
inline float16 load_chunk(__global const float *p, const int i, const int left) {
    if (left == 16) return vload16(0, p + i);
    float lanes[16];
    for (int l = 0; l < 16; l++) lanes[l] = l < left ? p[i + l] : 0.0f;
    return vload16(0, lanes);
}

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
    float16 sum = 0.0f;
    if (training) CHANNEL_CHUNKS(i, left) sum += load_chunk(x, i, left);
    const float batch_mean = channel_sum(sum16(sum), scratch) / count;
    float16 squares = 0.0f;
    if (training) CHANNEL_CHUNKS(i, left) {
        const float16 d = select((float16)0.0f, load_chunk(x, i, left) - batch_mean, chunk_lanes(left));
        squares += d * d;
    }
    const float variance = channel_sum(sum16(squares), scratch) / count;
    const float mean = training ? batch_mean : running_mean[c];
    const float inv_std = 1.0f / sqrt((training ? variance : running_var[c]) + eps);
    if (training && lid == 0) {
        running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
        running_var[c] = (1.0f - momentum) * running_var[c] + momentum * variance * count / (count - 1);
        saved[c] = mean;
        saved[channels + c] = inv_std;
    }
    const float scale = weight[c] * inv_std, shift = bias[c] - mean * scale;
    CHANNEL_CHUNKS(i, left) {
        const float16 value = load_chunk(x, i, left) * scale + shift;
        // Not fmax, which turns NaN into 0: NaN passes the ReLU, as in relu_forward and the twin.
        store16(y, i, i + left, relu ? select(value, (float16)0.0f, isless(value, (float16)0.0f)) : value);
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void batchnorm_backward(const int batch, const int channels, const int spatial, const int mask, const int write_dx,
                        __global const float *x, __global const float *dy, __global const float *weight,
                        __global const float *saved, __global float *dweight, __global float *dbias, __global float *dx) {
    __local float scratch[LOSS_GROUP];
    const int c = get_group_id(0), lid = get_local_id(0), count = batch * spatial;
    const float mean = saved[c], inv_std = saved[channels + c];
    float16 sum = 0.0f, products = 0.0f;
    CHANNEL_CHUNKS(i, left) {
        const float16 d = load_chunk(dy, i, left);
        sum += d;
        products += d * (load_chunk(x, i, left) - mean);
    }
    const float sum_dy = channel_sum(sum16(sum), scratch), sum_dy_xhat = channel_sum(sum16(products), scratch) * inv_std;
    if (lid == 0) {
        dweight[c] = sum_dy_xhat;
        dbias[c] = sum_dy;
    }
    if (!write_dx) return;
    const float scale = weight[c] * inv_std, mean_dy = sum_dy / count, slope = sum_dy_xhat / count * inv_std;
    CHANNEL_CHUNKS(i, left) {
        const float16 xs = load_chunk(x, i, left);
        const float16 value = scale * (load_chunk(dy, i, left) - mean_dy - (xs - mean) * slope);
        store16(dx, i, i + left, mask ? select((float16)0.0f, value, xs > 0.0f) : value);
    }
}
