import CLKit
import CLTrain
import Foundation
import Testing

@Suite(.serialized) struct KernelChecksTests {
    /// PoCL is a CPU device, but both matmul variants are built and checked on it.
    static let libraries = [KernelConfiguration.cpu, .gpu].map { configuration in
        Result { try KernelLibrary(context: testContext(), configuration: configuration) }
    }

    @Test(arguments: KernelChecks.kernels)
    func kernelMatchesItsTwin(_ kernel: String) throws {
        var checks = KernelChecks(library: try Self.libraries[0].get(), seed: freshSeed(kernel))
        let results = try checks.run(kernel)
        #expect(!results.isEmpty)
        for result in results {
            #expect(result.passed, "\(kernel) \(result.sizes): \(result.failures.joined(separator: "; "))")
        }
    }

    @Test(arguments: KernelChecks.matmulKernels)
    func tiledMatmulMatchesItsTwin(_ kernel: String) throws {
        var checks = KernelChecks(library: try Self.libraries[1].get(), seed: freshSeed("tiled \(kernel)"))
        for result in try checks.run(kernel) {
            #expect(result.passed, "tiled \(kernel) \(result.sizes): \(result.failures.joined(separator: "; "))")
        }
    }

    /// Every `__kernel` in `Kernels/` is launched by some selftest check; a kernel added without one is named.
    @Test func everyKernelHasACheck() throws {
        #expect(KernelChecks.definedKernels().isSuperset(of: ["matmul_forward", "cross_entropy_forward_backward", "sgd_update", "conv2d_backward_input"]))
        #expect(try KernelChecks.kernelsWithoutChecks(context: testContext()) == [])
        var sources = Kernels.sources
        sources["relu"]! += "\n__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void orphan(__global float *x) { x[0] = 0.0f; }\n"
        #expect(try KernelChecks.kernelsWithoutChecks(context: testContext(), sources: sources) == ["orphan"])
    }

    /// The checks must be able to fail: each mutation is a bug a kernel author could plausibly write. Each is caught
    /// at selftest's small sizes (as Oclgrind runs it), odd edges included: the full sizes, whose twins dominate a
    /// debug build's time (49 against 8 s for this test), run in `kernelMatchesItsTwin`. `scripts/test` leaves this
    /// and the next test to `scripts/test --mutations` (a compile each: too slow for the suite on a fresh machine).
    @Test(arguments: mutations)
    func brokenKernelIsCaught(kernel: String, file: String, configuration: Int, correct: String, broken: String) throws {
        let failures = try smallChecks(of: kernel, file: file, configuration: configuration, correct: correct,
                                       source: { $0.replacingOccurrences(of: correct, with: broken) })
        #expect(!failures.isEmpty, "a broken \(kernel) in \(file).cl passed its checks")
    }

    /// The mutations' files, unbroken and alone, pass: so a mutation is caught for its own fault, not for a kernel
    /// its file needs from another.
    @Test func mutatedFilesAlonePassUnbroken() throws {
        var seen = Set<String>()
        for (kernel, file, configuration, correct, _) in Self.mutations where seen.insert("\(kernel) \(file) \(configuration)").inserted {
            let failures = try smallChecks(of: kernel, file: file, configuration: configuration, correct: correct, source: { $0 })
            #expect(failures.isEmpty, "\(kernel) in \(file).cl alone: \(failures.map(\.failures))")
        }
    }

    /// The failed small checks of `kernel`, built from `file` and the shared helpers alone (each as `source` edits
    /// it): every check runs kernels of one file, and compiling the others would only cost time.
    private func smallChecks(of kernel: String, file: String, configuration: Int, correct: String,
                             source: (String) -> String) throws -> [KernelCheckResult] {
        let original = try #require(Kernels.sources[file]), common = Kernels.sources["common"] ?? ""
        #expect(original.contains(correct) || common.contains(correct), "the mutation no longer applies to \(file).cl or common.cl")
        let sources = ["common": source(common), file: source(original)]
        let library = try KernelLibrary(context: testContext(), configuration: [.cpu, .gpu][configuration], sources: sources)
        var checks = KernelChecks(library: library, seed: freshSeed("broken \(kernel)"), small: true)
        return try checks.run(kernel).filter { !$0.passed }
    }

    /// (kernel, file, configuration: 0 vector / 1 tiled, correct text, broken text): the text is replaced in the
    /// file, or in the helpers it is built with (common.cl).
    static let mutations: [(String, String, Int, String, String)] = [
        ("relu_forward", "relu", 0, "x[i] < 0.0f ? 0.0f : x[i]", "x[i]"),  // lets negatives through
        ("relu_backward", "relu", 0, "x[i] > 0.0f ? dy[i]", "x[i] >= -1.0f ? dy[i]"),
        // off by one at the edge: the last output column is written one past the end
        ("matmul_forward", "matmul_tiled", 1, "if (n < rows && o < outputs) {", "if (n < rows && o <= outputs) {"),
        ("matmul_forward", "matmul_vector", 0, "if (n < rows && o < outputs) {", "if (n < rows && o <= outputs) {"),
        // off by one at the edge: the last row of a partial tile is never written
        ("matmul_backward", "matmul_tiled", 1, "if (o < outputs && k < inputs)", "if (o < outputs - 1 && k < inputs)"),
        ("matmul_backward", "matmul_vector", 0, "r < BM && o0 + r < outputs;", "r < BM && o0 + r < outputs - 1;"),
        // off by one at the edge: the staged slice drops the last element of the depth, or the vector that
        // crosses the edge its last column
        ("matmul_backward", "matmul_tiled", 1, "(m < M && k < K) ?", "(m < M && k < K - 1) ?"),
        ("matmul_backward", "matmul_vector", 0, "lanes[t] = t < count ? p[t]", "lanes[t] = t < count - 1 ? p[t]"),
        // the fused launch splits its rows of blocks wrongly between dX and dW, or forgets the input's ReLU mask
        ("matmul_backward", "matmul_vector", 0, "if (block < input_blocks) {", "if (block <= input_blocks) {"),
        ("matmul_backward", "matmul_tiled", 1, "const int weight_tile = tile - input_groups;",
         "const int weight_tile = tile - input_groups + 1;"),
        ("matmul_backward", "matmul_vector", 0, "a + (n0 + r) * inputs, mask);", "a + (n0 + r) * inputs, 0);"),
        ("log_softmax_forward", "log_softmax", 0, "(row[c] - top) - log_sum", "row[c] - log_sum"),
        ("sgd_update", "sgd", 0, "const T v = momentum * LOAD(velocity, at) + g;", "const T v = momentum * LOAD(velocity, at);"),
        ("sgd_update", "sgd", 0, "g = nesterov ? g + momentum * v : v;", "g = v;"),  // Nesterov's look-ahead ignored
        ("nll_loss", "nll", 0, "losses[slot] = total / rows;", "losses[slot] = total / (rows + 1);"),
        // the fused training kernel forgets the one-hot term for the label
        ("cross_entropy_forward_backward", "cross_entropy", 0, "((c == label ? 1.0f - smoothing : 0.0f) + spread)",
         "((0.0f) + spread)"),
        // label smoothing: the loss forgets the spread term, or the gradient puts the whole target on the label
        ("cross_entropy_forward_backward", "cross_entropy", 0, " - smoothing * mean_logp;", ";"),
        ("cross_entropy_forward_backward", "cross_entropy", 0, "(c == label ? 1.0f - smoothing : 0.0f)", "(c == label ? 1.0f : 0.0f)"),
        ("gather_normalize", "gather", 0, "order[offset + r]", "order[r]"),  // ignores the batch's offset
        // a value read from the wrong word of the step record: the loss's slot, the rate, Adam's decay factor, the
        // dropout mask's step, the augmentation's epoch
        ("cross_entropy_forward_backward", "cross_entropy", 0, "slot = (int)step[STEP_SLOT];", "slot = 0;"),
        ("sgd_update", "sgd", 0, "const float lr = step_factor(step, 0);", "const float lr = step_factor(step, 1);"),
        ("adam_update", "adam", 0, "decay_factor = step_factor(step, 2);", "decay_factor = step_factor(step, 3);"),
        ("dropout_forward", "dropout", 0, "step[STEP_NUMBER_LOW], step[STEP_NUMBER_HIGH]", "step[STEP_EPOCH], step[STEP_NUMBER_HIGH]"),
        ("gather_augment", "gather", 0, "const uint epoch = step[STEP_EPOCH];", "const uint epoch = step[STEP_SLOT];"),
        // per-channel values: the vectors take the first channel's mean, or the pixels that straddle two channels
        // take the first's
        ("gather_normalize", "gather", 0, "const float mean = normalization[c]", "const float mean = normalization[0]"),
        ("gather_normalize", "gather", 0, "const int ct = (f0 + t) / plane;", "const int ct = c;"),
        // augmentation: the mirror off by one column, the crop's row offset without its padding, Philox's key swapped
        ("gather_augment", "gather", 0, "(mirrored ? width - 1 - ox : ox)", "(mirrored ? width - ox : ox)"),
        ("gather_augment", "gather", 0, "const int dy = (int)(draw.x % span) - padding", "const int dy = (int)(draw.x % span)"),
        ("gather_augment", "gather", 0, "(uint2)(key0, key1));", "(uint2)(key1, key0));"),
        ("gather_augment", "gather", 0, "(uint)samples[offset + r]", "(uint)image"),  // keys by the image a chunk holds, not the sample
        ("adam_update", "adam", 0, "sqrt(vi) / root_correction2", "sqrt(vi)"),  // drops a bias correction
        ("adam_update", "adam", 0, "LOAD(p, at) * decay_factor", "LOAD(p, at)"),  // AdamW's decoupled decay never applied
        ("bias_backward", "bias", 0, "column_sum(rows, outputs, dy, o)", "column_sum(rows - 1, outputs, dy, o)"),
        // the fused bias gradient skips the last row of the batch
        ("matmul_backward", "matmul_vector", 0, "db[o0 + r] = column_sum(rows, outputs", "db[o0 + r] = column_sum(rows - 1, outputs"),
        ("matmul_backward", "matmul_tiled", 1, "db[o] = column_sum(rows, outputs", "db[o] = column_sum(rows - 1, outputs"),
        // the convolution window off by one row, or one column; the input gradient gathers from a window shifted
        // by one; the weight gradient pairs dY with the column next to its tap's
        ("conv2d_forward", "conv2d", 0, "const int16 ih = oh * stride - padding + kh, rows", "const int16 ih = oh * stride - padding + kh + 1, rows"),
        // the forward pass over a flattened plane: each lane's row one off
        ("conv2d_forward", "conv2d", 0, "oh = small_quotient16(p, out_width);", "oh = small_quotient16(p, out_width) + 1;"),
        // a row's last, partial vector stores the wrong lane where 3 or 1 are left (common.cl's store_first4)
        ("conv2d_forward", "conv2d", 0, "if (n == 3) p[2] = v.z;", "if (n == 3) p[2] = v.y;"),
        ("conv2d_backward", "conv2d", 0, "if (n == 1) p[0] = v.x;", "if (n == 1) p[0] = v.y;"),
        ("conv2d_forward", "conv2d", 0, "const int16 iw = ow * stride - padding + kw;", "const int16 iw = ow * stride - padding + kw + 1;"),
        ("conv2d_backward", "conv2d", 0, "shift = (phase + padding - first_kw) / stride;", "shift = (phase + padding - first_kw) / stride + 1;"),
        // a stride-2 convolution's taps read from the odd lanes of the two vectors instead of the even ones
        ("conv2d_forward", "conv2d", 0, "(float16)(a.even, b.even)", "(float16)(a.odd, b.odd)"),
        // a strided input gradient takes the taps of the phase next to its own, or stores its phase's pixels side
        // by side instead of a stride apart
        ("conv2d_backward", "conv2d", 0, "const int first_kw = (phase + padding) % stride;", "const int first_kw = (phase + padding + 1) % stride;"),
        ("conv2d_backward", "conv2d", 0, "store16_step(dx + plane, first, end, step, r);", "store16_step(dx + plane, first, end, 1, r);"),
        ("conv2d_backward", "conv2d", 0, "#define x_lanes(j) (live & (ow * stride - padding + kw0 + (j) >= 0)",
         "#define x_lanes(j) (live & (ow * stride - padding + kw0 + (j) >= 1)"),
        // two rows to a vector: lanes 8–15 read the X row after row oh's instead of the one a stride below
        ("conv2d_forward", "conv2d", 0, "x_next = stride * width;", "x_next = width;"),
        ("conv2d_backward", "conv2d", 0, "x_row + j + stride * width, x_lanes(j)", "x_row + j + width, x_lanes(j)"),
        // the weight gradient over a flattened plane: its rows' mask one row off
        ("conv2d_backward", "conv2d", 0, "const int16 ih = oh - padding + kh, live", "const int16 ih = oh - padding + kh + 1, live"),
        // a sliced weight gradient: slices that overlap where the batch does not divide, or a slice left out of the sum
        ("conv2d_backward", "conv2d", 0, "const int first = slice * batch / slices", "const int first = slice * (batch / slices)"),
        ("conv2d_backward", "conv2d", 0, "for (int s = 0; s < slices; s++) sum +=", "for (int s = 1; s < slices; s++) sum +="),
        // channels last: the copy's right border left as the scratch held it, or two of its columns swapped; the
        // weight gradient's taps a pixel apart whatever the stride
        ("conv2d_backward", "conv2d", 0, "vstore16((float16)0.0f, 0, padded_row + (padded_width - 1 - pw) * channels);", ""),
        ("conv2d_backward", "conv2d", 0, "STORE_COLUMN(10, a) STORE_COLUMN(11, b)", "STORE_COLUMN(10, b) STORE_COLUMN(11, a)"),
        ("conv2d_backward", "conv2d", 0, "x_row + (ow * stride + j) * channels", "x_row + (ow + j) * channels"),
        // max-pool routes the gradient to the wrong element: the window's first, or the one after the maximum
        ("maxpool2d_forward", "maxpool2d", 0, "*best_index = select(*best_index, index, better);",
         "*best_index = select(*best_index, index + 1, better);"),
        // the last of equal maxima instead of the first; a 2×2 window's second tap named as its first
        ("maxpool2d_forward", "maxpool2d", 0, "(value > *best)", "(value >= *best)"),
        ("maxpool2d_forward", "maxpool2d", 0, "take_tap(top.odd, first + 1,", "take_tap(top.odd, first,"),
        ("maxpool2d_backward", "maxpool2d", 0, "here == indices[at]", "here + 1 == indices[at]"),
        // average pooling: the mean of a window one too large, the last window of a column never reaching its
        // inputs, the absorbed ReLU's mask ignored
        ("avgpool2d_forward", "avgpool2d", 0, "y[i] = sum / (float)(kernel_height * kernel_width);",
         "y[i] = sum / (float)(kernel_height * kernel_width + 1);"),
        ("avgpool2d_backward", "avgpool2d", 0, "min(out_height - 1, ih / stride_height)", "min(out_height - 2, ih / stride_height)"),
        ("avgpool2d_backward", "avgpool2d", 0, "dx[i] = mask ? (x[i] > 0.0f ? g : 0.0f) : g;", "dx[i] = g;"),
        // windows apart (stride > kernel): an input just past its window takes the window's gradient
        ("avgpool2d_backward", "avgpool2d", 0, "ih - oh * stride_height < kernel_height", "ih - oh * stride_height <= kernel_height"),
        // batch norm: normalizing by the unbiased variance; the running statistics never updated, or the running
        // variance moved toward the biased one; the mean's term of the input gradient dropped; the mask ignored
        ("batchnorm_forward", "batchnorm2d", 0, "const float variance = channel_sum(sum16(squares), scratch) / count;",
         "const float variance = channel_sum(sum16(squares), scratch) / (count - 1);"),
        // a chunk's lanes past the channel's run counted in its variance (each as the mean's square)
        ("batchnorm_forward", "batchnorm2d", 0, "select((float16)0.0f, load_chunk(x, i, left) - batch_mean, chunk_lanes(left))",
         "load_chunk(x, i, left) - batch_mean"),
        ("batchnorm_forward", "batchnorm2d", 0, "running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;", ""),
        ("batchnorm_forward", "batchnorm2d", 0, "momentum * variance * count / (count - 1)", "momentum * variance"),
        ("batchnorm_backward", "batchnorm2d", 0, "(load_chunk(dy, i, left) - mean_dy - (xs - mean) * slope)",
         "(load_chunk(dy, i, left) - (xs - mean) * slope)"),
        ("batchnorm_backward", "batchnorm2d", 0, "mask ? select((float16)0.0f, value, xs > 0.0f) : value", "value"),
        // the residual addition: the shortcut left out, or the ReLU after the block; the shortcut's gradient dropped
        ("residual_forward", "residual", 0, "const float value = a[i] + b[i];", "const float value = a[i];"),
        ("residual_forward", "residual", 0, "y[i] = relu ? max(value, 0.0f) : value;", "y[i] = value;"),
        ("residual_backward", "residual", 0, "0.0f : a[i] + b[i];", "0.0f : a[i];"),
        // dropout after a ReLU: the kept values read from y ignored, or the ReLU's mask
        ("dropout_backward_after_relu", "dropout", 0, "(vload16(0, x + e0) > 0.0f) & (vload16(0, y + e0) != 0.0f)",
         "(vload16(0, x + e0) > 0.0f)"),
        ("dropout_backward_after_relu", "dropout", 0, "(vload16(0, x + e0) > 0.0f) & (vload16(0, y + e0) != 0.0f)",
         "(vload16(0, y + e0) != 0.0f)"),
    ]
}
