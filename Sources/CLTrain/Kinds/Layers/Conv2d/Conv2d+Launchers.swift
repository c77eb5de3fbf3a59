import CLKit

extension Conv2d {
    /// Pixels of an image row each work-item of the conv2d kernels holds: the width of their float16 vectors,
    /// fixed in the source's types.
    static let lanes = 16

    /// Whether conv2d_forward and conv2d_backward_weight run over each plane flattened (their `flat` argument): a
    /// "same" convolution (stride 1, output as large as the input) whose rows are narrower than a vector, where
    /// row by row most lanes would idle (ResNet-8's 7×7 planes: 7 of 16).
    static func runsFlat(_ shape: Conv2dShape) -> Bool {
        shape.stride == 1 && shape.outWidth == shape.width && shape.outHeight == shape.height && shape.width < lanes
    }

    /// Whether conv2d_forward and conv2d_backward_weight run two output rows a vector (which the kernels derive
    /// themselves): rows of at most half a vector that do not run flat (ResNet-8's stride-2 7×7 outputs).
    static func pairsRows(_ shape: Conv2dShape) -> Bool { !runsFlat(shape) && shape.outWidth <= lanes / 2 }

    /// Whether the weight gradient runs channels last (conv2d_channels_last, then
    /// conv2d_backward_weight_channels_last): where the input channels fill whole vectors. Its products need no
    /// masks and read one vector a tap whatever the stride: ResNet-8's weight gradients on PoCL (bench
    /// --kernels-only, batch 128) took 38.8–41.1 ms a step before, 20.7–24.2 with the copies.
    static func runsChannelsLast(_ shape: Conv2dShape) -> Bool { shape.inChannels % lanes == 0 }

    /// The floats of the zero-bordered channels-last copy of the input at `shape` that conv2d_channels_last writes;
    /// none where the weight gradient does not run channels last.
    static func channelsLastCount(_ shape: Conv2dShape) -> Int {
        guard runsChannelsLast(shape) else { return 0 }
        return shape.batch * (shape.height + 2 * shape.padding) * (shape.width + 2 * shape.padding) * shape.inChannels
    }

    /// One build of conv2d.cl: the channels each work-item of conv2d_forward and conv2d_backward_input accumulates
    /// (`CB`), and the output channels (`OB`) and kernel columns (`KW`) each work-item of conv2d_backward_weight does.
    struct Blocking {
        let channels: Int, weightChannels: Int, weightTaps: Int

        /// The float16 accumulators a work-item of conv2d_backward_weight holds for a kernel of `size`.
        func weightAccumulators(kernel size: Int) -> Int { weightChannels * min(size, weightTaps) }

        /// The passes a work-item of conv2d_backward_weight makes over its slice of dY and X, KW kernel columns each.
        func weightPasses(kernel size: Int) -> Int { (size + weightTaps - 1) / weightTaps }
    }

    /// The builds, narrowest first (the default where no block divides the channels). Wider blocks pay where the
    /// channels fill them and waste work where they do not: in `bench --kernels-only` on PoCL (two runs each),
    /// ResNet-8's forward passes took 34–36 ms a step with (8, 4) and 29–31 with (16, 4), its input gradients 62–66
    /// against 42–48, its weight gradients 81–83 against 62–72 with (8, 8); LeNet-5's (6 and 16 channels) went the
    /// other way, input gradients 0.52 → 0.90 ms. Its 6 channels filled 6 of 8 before the (6, 3) build: conv 1's
    /// forward pass 230–252 → 193–196 µs, conv 2's input gradient 522–578 → 404–444, conv 1's weight gradient
    /// 266–288 → 239–253 (four alternated runs). The widest build takes 3 kernel columns a pass, not 5: 8·5
    /// accumulators, of which a 3×3 kernel updates 24, still held 40 registers and spilled (ResNet-8's weight
    /// gradients about 5% slower), while LeNet-5's 5×5 conv 2 keeps (8, 4, 5) (`weightVariant`).
    static let blockings = [Blocking(channels: 6, weightChannels: 3, weightTaps: 5),
                            Blocking(channels: 8, weightChannels: 4, weightTaps: 5),
                            Blocking(channels: 16, weightChannels: 8, weightTaps: 3)]

    /// The accumulators a weight-gradient work-item may hold before the launcher's own rule takes a narrower build:
    /// 32 vector registers on AVX-512, less the KW X vectors of a pass and the dY vector in use. On PoCL, LeNet-5's conv 2
    /// (5×5, 16 channels) took 700–737 µs a step with OB = 8 (40 accumulators, spilled) and 607–622 with OB = 4;
    /// ResNet-8's 3×3 layers (24 accumulators) ran as fast with 8 as with 4. `cltrain tune` decides per device.
    static let weightAccumulatorBudget = 24

    public static var kernelVariants: [String] {
        blockings.map { "-DCB=\($0.channels) -DOB=\($0.weightChannels) -DKW=\($0.weightTaps)" }
    }

    /// The most slices of the batch conv2d_backward_weight may run in at `shape` (`GridChoice.slices`), which is
    /// how many partial gradients a layer's scratch holds: powers of two up to the batch and `maxSlices`, while the
    /// widest build's grid stays within `slicedGridLimit` work-items; 1 where the grid is too large to gain.
    static func sliceCapacity(_ shape: Conv2dShape) -> Int {
        let widest = blockings.map(\.weightChannels).max() ?? 1
        let grid = shape.kernel * shape.inChannels * ((shape.outChannels + widest - 1) / widest)
        var capacity = 1
        while capacity * 2 <= min(shape.batch, maxSlices) && grid * capacity * 2 <= slicedGridLimit { capacity *= 2 }
        return capacity
    }

    /// The fewest slices (a power of two) whose work-items' loops in conv2d_backward_weight stay within half of a
    /// driver's iteration cap (`KernelLibrary.loopIterationLimit`) at `shape` in `build`, estimated per image as its
    /// vector steps times 24 back-edges a pass (llvmpipe keeps the tap and channel loops as loops: LeNet-5's conv 1
    /// at batch 64 ran out during its bias sums, about 18 a step) plus the bias pass's OB.
    static func slices(within limit: Int, _ shape: Conv2dShape, build: Int) -> Int {
        let blocking = blockings[build]
        // Channels last, pixel by pixel; otherwise a vector of pixels at a time.
        let steps = runsChannelsLast(shape) ? shape.outHeight * shape.outWidth
            : runsFlat(shape) ? (shape.outHeight * shape.outWidth + lanes - 1) / lanes
            : pairsRows(shape) ? (shape.outHeight + 1) / 2
            : shape.outHeight * ((shape.outWidth + lanes - 1) / lanes)
        let perImage = steps * (24 * blocking.weightPasses(kernel: shape.kernel) + blocking.weightChannels)
        var slices = 1
        while slices < shape.batch && (shape.batch + slices - 1) / slices * perImage > limit / 2 { slices *= 2 }
        return slices
    }

    /// LeNet-5's conv 1 has a grid of 5·1·1 work-items at the widest build: a GPU of 100 cores or more needs
    /// thousands. The scratch costs `capacity` times the layer's gradients: ResNet-8's largest layer (64 → 64, 3×3)
    /// keeps 8.
    static let maxSlices = 64, slicedGridLimit = 16_384

    /// The floats of the scratch a layer keeps for the slices at `shape` (none where it has no room to slice).
    static func sliceScratchCount(_ shape: Conv2dShape) -> Int {
        let capacity = sliceCapacity(shape)
        return capacity > 1 ? capacity * (shape.weightCount + shape.outChannels) : 0
    }

    /// The build a launch that blocks `channels` channels by `block(_:)` takes by itself: the widest whose block
    /// divides them, among those `fits` allows (`cltrain tune` may choose another).
    static func variant(blocking channels: Int, by block: (Blocking) -> Int, fits: (Blocking) -> Bool = { _ in true }) -> Int {
        blockings.indices.last { channels % block(blockings[$0]) == 0 && fits(blockings[$0]) } ?? 0
    }

    /// The weight-gradient kernel a launch at `shape` runs, given whether its launcher has a channels-last copy.
    static func weightKernel(_ shape: Conv2dShape, channelsLast: Bool) -> String {
        channelsLast && runsChannelsLast(shape) ? "conv2d_backward_weight_channels_last" : "conv2d_backward_weight"
    }

    /// The build conv2d_backward_weight takes by itself: among those whose accumulators fit the budget, the fewest
    /// passes over the batch (each reads dY and X again: LeNet-5's 5×5 conv 2 took a median 1.03 ms a step in two
    /// passes of 3 columns, 8 channels, against 0.92 in one of 5 columns, 4 channels; five alternated runs), then
    /// as `variant`.
    static func weightVariant(_ shape: Conv2dShape) -> Int {
        let fitting = blockings.filter { $0.weightAccumulators(kernel: shape.kernel) <= weightAccumulatorBudget }
        let fewest = fitting.map { $0.weightPasses(kernel: shape.kernel) }.min()
        return variant(blocking: shape.outChannels, by: \.weightChannels, fits: {
            $0.weightAccumulators(kernel: shape.kernel) <= weightAccumulatorBudget && $0.weightPasses(kernel: shape.kernel) == fewest
        })
    }
}

/// Launchers of Kernels/conv2d.cl, in the geometry that file documents, sized by the build each launch takes
/// (`Conv2d.blockings`): the widest whose blocks divide the channels, unless `cltrain tune` chose another build or
/// work-group for the shape. The kernels read and write NCHW directly, so a convolution layer needs no scratch buffers.
extension KernelLibrary {
    /// The sizes every conv2d kernel takes first, in their order: the tuning key of its launches.
    private func geometry(_ shape: Conv2dShape) -> [Int] {
        [shape.batch, shape.inChannels, shape.height, shape.width, shape.kernel, shape.stride, shape.padding,
         shape.outHeight, shape.outWidth, shape.outChannels]
    }

    private func blocks(_ count: Int, _ size: Int) -> Int { (count + size - 1) / size }

    /// y (NCHW) = conv(x) + bias, then ReLU if `relu`.
    @discardableResult
    public func conv2dForward(shape: Conv2dShape, x: Buffer<Float>, weight: Buffer<Float>, bias: Buffer<Float>,
                              y: Buffer<Float>, relu: Bool) throws -> Event? {
        let sizes = geometry(shape), flat = Conv2d.runsFlat(shape)
        // Flat: the lanes run along each output plane, not each row; paired, along two rows.
        let (across, down) = flat ? (shape.outHeight * shape.outWidth, 1)
            : Conv2d.pairsRows(shape) ? (shape.outWidth, (shape.outHeight + 1) / 2) : (shape.outWidth, shape.outHeight)
        return try launch(tunable: "conv2d_forward", sizes: sizes, rule: Conv2d.variant(blocking: shape.outChannels, by: \.channels),
                          global: { [self.blocks(across, Conv2d.lanes), down,
                                     shape.batch * self.blocks(shape.outChannels, Conv2d.blockings[$0.variant].channels)] },
                          arguments: sizes.map { Int32($0) } + [x, weight, bias, y, Int32(relu ? 1 : 0), Int32(flat ? 1 : 0)]).event
    }

    /// dw and db from dy (NCHW) and the layer's input x; then, when `dx` is given, the input gradient, zeroed
    /// where `activation` (this layer's input when it is a ReLU output, or a max-pool of one) is ≤ 0. `partials`
    /// (`Conv2d.sliceScratchCount` floats, or none) lets a tuned choice split the weight gradient's batch into slices;
    /// `channelsLast` (`Conv2d.channelsLastCount` floats, or none) lets it run channels last where the shape does.
    /// Returns the launches' events when profiling.
    @discardableResult
    public func conv2dBackward(shape: Conv2dShape, dy: Buffer<Float>, x: Buffer<Float>, weight: Buffer<Float>,
                               dw: Buffer<Float>, db: Buffer<Float>, dx: Buffer<Float>?,
                               activation: Buffer<Float>?, partials: Buffer<Float>? = nil,
                               channelsLast: Buffer<Float>? = nil) throws -> [Event] {
        let sizes = geometry(shape), sizeArguments: [KernelArgument] = sizes.map { Int32($0) }
        let sliceValues = shape.weightCount + shape.outChannels
        var events: [Event?] = []
        let channelsLast = Conv2d.runsChannelsLast(shape) ? channelsLast : nil
        if let channelsLast { events.append(try conv2dChannelsLast(shape: shape, x: x, xt: channelsLast)) }
        // By default in work-groups of one: the grid is small (K·C·⌈O/OB⌉ work-items, or K·C/16·⌈O/OB⌉ channels
        // last) and each runs long.
        let rule = Conv2d.weightVariant(shape)
        let (weightEvent, choice) = try launch(
            tunable: Conv2d.weightKernel(shape, channelsLast: channelsLast != nil), sizes: sizes,
            rule: rule, ruleSlices: loopIterationLimit.map { Conv2d.slices(within: $0, shape, build: rule) },
            slices: (partials?.count ?? 0) / sliceValues,
            global: { [shape.kernel, channelsLast == nil ? shape.inChannels : shape.inChannels / Conv2d.lanes,
                       self.blocks(shape.outChannels, Conv2d.blockings[$0.variant].weightChannels) * ($0.slices ?? 1)] },
            local: [1, 1, 1],
            arguments: sizeArguments + (channelsLast.map { [dy, $0, dw, db, partials ?? dw] }
                                        ?? [dy, x, dw, db, partials ?? dw, Int32(Conv2d.runsFlat(shape) ? 1 : 0)]))
        events.append(weightEvent)
        if let partials, let slices = choice.slices {
            // Its own row in `bench`; the input gradient after it is the layer's again.
            let work = recorder?.work
            annotate("\(slices)×\(sliceValues)", bytes: Double((slices + 1) * sliceValues * 4))
            events.append(try launch("conv2d_sum_slices", global: linear(sliceValues),
                                     arguments: [Int32(shape.weightCount), Int32(shape.outChannels), Int32(slices), partials, dw, db]))
            if let work { recorder?.work = work }
        }
        if let dx {
            // Flat, the lanes run along each plane; otherwise along one of the row's `stride` phases.
            let flat = Conv2d.runsFlat(shape)
            let across = flat ? blocks(shape.height * shape.width, Conv2d.lanes)
                              : shape.stride * blocks(blocks(shape.width, shape.stride), Conv2d.lanes)
            // Without a mask the kernel never reads the activation argument; dy stands in for it.
            events.append(try launch(tunable: "conv2d_backward_input", sizes: sizes,
                                     rule: Conv2d.variant(blocking: shape.inChannels, by: \.channels),
                                     global: { [across, flat ? 1 : shape.height,
                                                shape.batch * self.blocks(shape.inChannels, Conv2d.blockings[$0.variant].channels)] },
                                     arguments: sizeArguments + [dy, weight, activation ?? dy, dx, Int32(activation == nil ? 0 : 1),
                                                                 Int32(flat ? 1 : 0)]).event)
        }
        return events.compactMap { $0 }
    }

    /// The layer's input x as conv2d_backward_weight_channels_last reads it, into xt (`Conv2d.channelsLastCount`
    /// floats): its own row in `bench`, after which the launches are the layer's again.
    private func conv2dChannelsLast(shape: Conv2dShape, x: Buffer<Float>, xt: Buffer<Float>) throws -> Event? {
        let work = recorder?.work
        defer { if let work { recorder?.work = work } }
        annotate("\(shape.batch)×\(shape.inChannels)×\(shape.height)×\(shape.width) padded \(shape.padding)",
                 bytes: Double((shape.inputCount + Conv2d.channelsLastCount(shape)) * 4))
        return try launch("conv2d_channels_last", global: [shape.height + 2 * shape.padding, shape.batch * shape.inChannels / Conv2d.lanes],
                          arguments: [Int32(shape.batch), Int32(shape.inChannels), Int32(shape.height), Int32(shape.width),
                                      Int32(shape.padding), x, xt])
    }
}
