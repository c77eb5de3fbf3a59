// gather_normalize: builds a batch of network inputs from the uint8 dataset on the device.
//   x[r,f] = (images[order[offset + r], f] / 255 − mean) / std      x (rows, features)
// `order` is the epoch's shuffled index list, so only it crosses the bus each epoch, never images.
// Launch: 1-D over rows·features. CPU twin: Reference.gatherNormalize.

__kernel void gather_normalize(__global const uchar *images, __global const int *order, const int offset,
                               const int rows, const int features, const float mean, const float std,
                               __global float *x) {
    const int i = get_global_id(0);
    if (i >= rows * features) return;
    const int r = i / features, f = i - r * features;
    const int sample = order[offset + r];
    x[i] = ((float)images[(size_t)sample * features + f] / 255.0f - mean) / std;
}
