// gather_normalize: builds a batch of network inputs from the uint8 dataset on the device.
//   x[r,f] = (images[order[offset + r], f] / 255 − mean[c]) / std[c],  c = f / plane      x (rows, features)
// `normalization` holds mean[0..channels) then std[0..channels), channels = features / plane; one channel
// (the lesson's 0.5/0.5) computes exactly what a single mean and std did.
// `order` is the epoch's shuffled index list, so only it crosses the bus each epoch, never images.
// Launch: 2-D, global = (ceil(features / 16), rows): a work-item converts 16 pixels of a row as one vector
// (one work-item per pixel, with a division to find its row, was 5× slower on PoCL at 64×784).
// The last work-item of a row, and one whose 16 pixels straddle two channels, converts one pixel at a time.
// CPU twin: Reference.gatherNormalize.

__kernel void gather_normalize(__global const uchar *images, __global const int *order, const int offset,
                               const int rows, const int features, const int plane,
                               __global const float *normalization, __global float *x) {
    const int f0 = get_global_id(0) * 16, r = get_global_id(1);
    if (f0 >= features || r >= rows) return;
    const int channels = features / plane, c = f0 / plane;
    __global const uchar *pixels = images + (size_t)order[offset + r] * features + f0;
    __global float *out = x + r * features + f0;
    if (f0 + 16 <= features && (f0 + 15) / plane == c) {
        const float mean = normalization[c], std = normalization[channels + c];
        vstore16((convert_float16(vload16(0, pixels)) / 255.0f - mean) / std, 0, out);
    } else {
        for (int t = 0; t < 16 && f0 + t < features; t++) {
            const int ct = (f0 + t) / plane;
            out[t] = ((float)pixels[t] / 255.0f - normalization[ct]) / normalization[channels + ct];
        }
    }
}
