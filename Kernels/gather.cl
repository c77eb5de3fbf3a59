// gather_normalize: builds a batch of network inputs from the uint8 dataset on the device.
//   x[r,f] = (images[order[offset + r], f] / 255 − mean[c]) / std[c],  c = f / plane      x (rows, features)
// offset = the step record's STEP_OFFSET (common.cl).
// `normalization` holds mean[0..channels) then std[0..channels), channels = features / plane; one channel
// (the lesson's 0.5/0.5) computes exactly what a single mean and std did.
// `order` is the epoch's shuffled index list, so only it crosses the bus each epoch, never images.
// Launch: 2-D, global = (ceil(features / 16), rows): a work-item converts 16 pixels of a row as one vector
// (one work-item per pixel, with a division to find its row, was 5× slower on PoCL at 64×784).
// The last work-item of a row, and one whose 16 pixels straddle two channels, converts one pixel at a time.
// CPU twin: Reference.gatherNormalize.

__kernel void gather_normalize(__global const uchar *images, __global const int *order, __global const uint *restrict step,
                               const int rows, const int features, const int plane,
                               __global const float *normalization, __global float *x) {
    const int f0 = get_global_id(0) * 16, r = get_global_id(1), offset = (int)step[STEP_OFFSET];
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

// gather_augment: gather_normalize for training with torchvision's RandomCrop(padding) and RandomHorizontalFlip:
//   x[r,c,y,x] = (pixel(c, y + dy, x' + dx) / 255 − mean[c]) / std[c],  x' = mirrored ? W − 1 − x : x,
//   pixel 0 outside the image (zero padding)      x (rows, channels·height·width)
// Row r is image order[offset + r] of `images`; its sample index s = samples[offset + r] (the order itself where the
// dataset is resident, the chunk's sample indices where it is streamed) draws (dy, dx, mirrored) from
// Philox-4x32-10, key (key0, key1) = the seed, counter (s, epoch, 0, 0) (offset and epoch from the step record): dy = w0 mod (2P+1) − P,
// dx = w1 mod (2P+1) − P, mirrored = flip && (w2 & 1). The CPU twin (Reference.gatherAugment, Augmentation.draw)
// draws the same, so every device, and a streamed run, sees the same images.
// Launch: 2-D, global = (channels·height, rows): a work-item writes one line of one image, so Philox runs once a
// line, not once a pixel. CPU twin: Reference.gatherAugment.

// Philox-4x32-10's four words for one counter, as Philox.block in Swift (dropout.cl runs 64 at once, in chains).
inline uint4 philox4(uint4 c, uint2 k) {
    for (int round = 0; round < 10; round++) {
        if (round > 0) k += PHILOX_BUMP;
        const ulong p0 = (ulong)c.x * PHILOX_M0, p1 = (ulong)c.z * PHILOX_M1;
        c = (uint4)((uint)(p1 >> 32) ^ c.y ^ k.x, (uint)p1, (uint)(p0 >> 32) ^ c.w ^ k.y, (uint)p0);
    }
    return c;
}

__kernel void gather_augment(__global const uchar *images, __global const int *order, __global const int *samples,
                             __global const uint *restrict step, const int rows, const int channels, const int height,
                             const int width, __global const float *normalization, const uint key0, const uint key1,
                             const int padding, const int flip, __global float *x) {
    const int line = get_global_id(0), r = get_global_id(1), offset = (int)step[STEP_OFFSET];
    const uint epoch = step[STEP_EPOCH];
    if (line >= channels * height || r >= rows) return;
    const int c = line / height, y = line % height, features = channels * height * width;
    const int image = order[offset + r];
    const uint4 draw = philox4((uint4)((uint)samples[offset + r], epoch, 0u, 0u), (uint2)(key0, key1));
    const uint span = (uint)(2 * padding + 1);
    const int dy = (int)(draw.x % span) - padding, dx = (int)(draw.y % span) - padding;
    const int mirrored = flip && (draw.z & 1u);
    const float mean = normalization[c], std = normalization[channels + c];
    __global const uchar *plane = images + (size_t)image * features + (size_t)c * height * width;
    __global float *out = x + (size_t)r * features + (size_t)line * width;
    const int sy = y + dy;
    for (int ox = 0; ox < width; ox++) {
        const int sx = (mirrored ? width - 1 - ox : ox) + dx;
        const uchar pixel = (sy >= 0 && sy < height && sx >= 0 && sx < width) ? plane[sy * width + sx] : (uchar)0;
        out[ox] = ((float)pixel / 255.0f - mean) / std;
    }
}
