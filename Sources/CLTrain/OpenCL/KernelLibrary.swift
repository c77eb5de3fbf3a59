import CLKit

/// Every kernel of `Kernels/*.cl`, compiled once for one device, with a typed launcher per kernel.
/// The launchers carry the launch geometry each kernel file documents, so callers pass only data.
public final class KernelLibrary {
    public let context: Context
    public let configuration: KernelConfiguration
    private let kernels: [String: Kernel]
    /// A kind's kernels built with its other `kernelVariants`, by name: element i is variant i + 1 (`kernels` holds
    /// variant 0).
    private let variantKernels: [String: [Kernel]]
    /// The file each kernel comes from, by kernel name: its kind's, for the checks of a tuned grid launch.
    let kernelFiles: [String: String]
    /// Collects every launch while set, for `KernelBenchmark`.
    public var recorder: LaunchRecorder?
    /// The current step's `StepRecord` on the device, which the step's kernels read (gather, loss, dropout,
    /// optimizer): whoever queues a step writes it first (`OpenCLBackend`, or `setStep` in the checks). One per
    /// library: the queue is in order, so a write lands after the launches before it have read the last record.
    public let stepRecord: Buffer<UInt32>
    /// The matmul kernels of `configuration` and of each tuned configuration, compiled here, never in a step.
    private var matmulKernels: [KernelConfiguration.Matmul: [String: Kernel]] = [:]
    /// The matmul configuration of each tuned shape (see `Tuning.choice`); the others use `configuration`'s.
    /// Only tuned configurations that built and fit the device are kept.
    public internal(set) var tuning = Tuning()
    /// Collects the shape of every matmul launch while set, for the tuner.
    var matmulShapes: [MatmulShape]?
    /// Collects every grid launch (see `launch(tunable:…)`) while set, for the tuner: its shape, the choice it ran,
    /// its grid, its work-group and the slices it could run in (1: it has no small-grid path).
    var gridLaunches: [GridLaunch]?
    typealias GridLaunch = (shape: GridShape, choice: GridChoice, global: [Int], local: [Int], slices: Int)
    /// A choice every grid launch of one kernel takes while set, whatever its shape: the tuner's and selftest's
    /// checks of a tuned choice at the kind's check sizes.
    var forcedGrid: (kernel: String, choice: GridChoice)?

    /// Builds every kernel file for the context's device. A kernel may allow fewer work-items per group than
    /// its device (register pressure, a driver's own cap): when one with a fixed group size does, the
    /// configuration is shrunk to that kernel's limit and everything is built again.
    /// - Parameter sources: kernel files by name; the embedded ones unless a caller (tests, `selftest --kernels`)
    ///   substitutes its own.
    /// - Parameter tuning: per-shape matmul configurations (from `TuningCache`); one that fails to build or to fit
    ///   is left out, so its shapes run `configuration`'s.
    public init(context: Context, configuration: KernelConfiguration? = nil, tuning: Tuning = Tuning(),
                sources: [String: String] = Kernels.sources) throws {
        self.context = context
        loopIterationLimit = context.device.name.contains("llvmpipe") ? 65_535 : nil
        var configuration = configuration ?? .choose(for: context.device)
        var (kernels, variants, files) = try Self.build(context: context, configuration: configuration, sources: sources)
        func every() -> [Kernel] { Array(kernels.values) + variants.values.joined() }
        while let limit = Self.tighterWorkGroupLimit(every()) {
            let smaller = configuration.fitted(maxWorkGroupSize: limit, localMemoryBytes: Int(clamping: context.device.localMemoryBytes))
            guard smaller != configuration else {
                throw KernelSourceError("\(context.device.name) allows at most \(limit) work-items per group for some kernel, "
                                        + "fewer than \(configuration) needs")
            }
            configuration = smaller
            (kernels, variants, files) = try Self.build(context: context, configuration: configuration, sources: sources)
        }
        if let greedy = every().first(where: { $0.localMemoryBytes > context.device.localMemoryBytes }) {
            throw KernelSourceError("\(greedy.name) needs \(greedy.localMemoryBytes) bytes of local memory; "
                                    + "\(context.device.name) has \(context.device.localMemoryBytes)")
        }
        self.configuration = configuration
        self.kernels = kernels
        variantKernels = variants
        kernelFiles = files
        self.sources = sources
        stepRecord = try Buffer(context: context, values: StepRecord().words)
        matmulKernels[configuration.matmul] = kernels.filter { Self.matmulNames.contains($0.key) }
        for matmul in Set(tuning.choices.values.map(\.matmul)) where (try? addMatmul(matmul)) != nil {
            self.tuning.choices.merge(tuning.choices.filter { $0.value.matmul == matmul }) { $1 }
        }
        self.tuning.grids = tuning.grids.filter { (try? checkFits($1, kernel: $0.kernel)) != nil }
    }

    private let sources: [String: String]

    /// The loop iterations a work-item may run in all before the driver silently ends its loops, where a driver
    /// has such a cap: Mesa's llvmpipe (Rusticl's CPU device) stops every loop of a work-item after 65,535 iterations
    /// together (gallivm's LP_MAX_TGSI_LOOP_ITERATIONS), so a kernel that loops over a whole batch computes part of
    /// its sum and says nothing. Launchers of such kernels split their work where this is set. Set once: launchers
    /// read it on every step.
    let loopIterationLimit: Int?

    static let matmulNames: Set = ["matmul_forward", "matmul_backward"]

    /// Compiles the matmul kernels of `matmul` beside the others, unless they are already here; throws when they
    /// do not build, or need more work-items or local memory than the device gives them.
    func addMatmul(_ matmul: KernelConfiguration.Matmul) throws {
        guard matmulKernels[matmul] == nil else { return }
        let device = context.device
        let options = [device.openCLCStandardOption, matmul.buildOptions, "-DLOSS_GROUP=\(configuration.reductionGroup)"]
        let program = try Program(context: context, name: matmul.file,
                                  source: (sources["common"] ?? "") + "\n#line 1\n" + (sources[matmul.file] ?? ""),
                                  options: options.joined(separator: " "))
        var built: [String: Kernel] = [:]
        for kernel in try program.kernels() {
            if let required = kernel.requiredWorkGroupSize, required.reduce(1, *) > kernel.maxWorkGroupSize {
                throw KernelSourceError("\(matmul) needs \(required.reduce(1, *)) work-items per group; "
                                        + "\(device.name) allows \(kernel.maxWorkGroupSize) for \(kernel.name)")
            }
            if kernel.localMemoryBytes > device.localMemoryBytes {
                throw KernelSourceError("\(matmul) needs \(kernel.localMemoryBytes) bytes of local memory; "
                                        + "\(device.name) has \(device.localMemoryBytes)")
            }
            built[kernel.name] = kernel
        }
        guard Self.matmulNames.isSubset(of: built.keys) else {
            throw KernelSourceError("\(matmul.file) does not define every matmul kernel")
        }
        matmulKernels[matmul] = built
    }

    /// Runs the shape on `choice` from now on (the tuner's trials); compiles it first if need be. Throws when the
    /// choice's work-group is larger than its kernel allows.
    func use(_ choice: MatmulChoice, for shape: MatmulShape) throws {
        try addMatmul(choice.matmul)
        if let group = choice.group, let kernel = matmulKernels[choice.matmul]?[shape.kernel],
           group.reduce(1, *) > kernel.maxWorkGroupSize {
            throw KernelSourceError("\(shape.kernel) allows \(kernel.maxWorkGroupSize) work-items per group, not \(group.reduce(1, *))")
        }
        tuning.choices[shape] = choice
    }

    /// Every kernel file built for `configuration`; a kind's file once per variant of its `kernelVariants`. Also
    /// says which file each kernel came from.
    private static func build(context: Context, configuration: KernelConfiguration, sources: [String: String]) throws
        -> (kernels: [String: Kernel], variants: [String: [Kernel]], files: [String: String]) {
        let common = sources["common"] ?? ""
        let options = context.device.openCLCStandardOption + " " + configuration.buildOptions
        let skipped = Set(["common", "matmul_tiled", "matmul_vector"].filter { $0 != configuration.matmulFile })
        let kindVariants = Dictionary(LayerRegistry.kinds.map { ($0.name, $0.kernelVariants) }) { first, _ in first }
        var kernels: [String: Kernel] = [:], variants: [String: [Kernel]] = [:], files: [String: String] = [:]
        for (name, source) in sources.sorted(by: { $0.key < $1.key }) where !skipped.contains(name) {
            let text = common + "\n#line 1\n" + source
            for (index, variant) in (kindVariants[name] ?? [""]).enumerated() {
                let program = try Program(context: context, name: name, source: text,
                                          options: variant.isEmpty ? options : options + " " + variant)
                for kernel in try program.kernels() {
                    if index == 0 { kernels[kernel.name] = kernel } else { variants[kernel.name, default: []].append(kernel) }
                    files[kernel.name] = name
                }
            }
        }
        return (kernels, variants, files)
    }

    /// The smallest per-kernel work-group limit among kernels whose fixed group size exceeds their own limit;
    /// nil when every fixed group fits.
    private static func tighterWorkGroupLimit(_ kernels: [Kernel]) -> Int? {
        kernels.filter { kernel in kernel.requiredWorkGroupSize.map { $0.reduce(1, *) > kernel.maxWorkGroupSize } ?? false }
            .map(\.maxWorkGroupSize).min()
    }

    /// Kernel `name` as its kind's variant `variant` builds it (see `Layer.kernelVariants`).
    func kernel(_ name: String, variant: Int) throws -> Kernel {
        guard variant > 0 else { return try kernel(name) }
        guard let kernel = variantKernels[name]?.dropFirst(variant - 1).first else {
            throw CLError.call("clCreateKernel(\(name), variant \(variant))", code: CLError.invalidKernelName)
        }
        return kernel
    }

    /// How many builds kernel `name` has (its kind's `kernelVariants`).
    func variantCount(_ name: String) -> Int { 1 + (variantKernels[name]?.count ?? 0) }

    /// Throws unless `choice` names a build of `kernel` and a work-group the build and the device allow.
    func checkFits(_ choice: GridChoice, kernel name: String) throws {
        let kernel = try kernel(name, variant: choice.variant)
        guard let group = choice.group else { return }
        if group.reduce(1, *) > kernel.maxWorkGroupSize {
            throw KernelSourceError("\(name) allows \(kernel.maxWorkGroupSize) work-items per group, not \(group.reduce(1, *))")
        }
        let limits = context.device.maxWorkItemSizes
        if let d = group.indices.first(where: { $0 < limits.count && group[$0] > limits[$0] }) {
            throw KernelSourceError("\(context.device.name) allows \(limits[d]) work-items along dimension \(d), not \(group[d])")
        }
    }

    func kernel(_ name: String) throws -> Kernel {
        guard let kernel = kernels[name] else { throw CLError.call("clCreateKernel(\(name))", code: CLError.invalidKernelName) }
        return kernel
    }

    /// Global size for a 1-D launch over `count` items, or for a grid's first dimension: rounded up to a multiple
    /// of 64, so that `launch`'s groups divide it; the kernels guard the excess.
    func linear(_ count: Int) -> [Int] { [max(64, (count + 63) / 64 * 64)] }

    /// The work-group size of a 1-D launch: 64, or the largest power of two the kernel allows below that.
    /// Not left to the driver: PoCL's own choice asserts when the device allows fewer work-items than its
    /// preferred multiple (POCL_MAX_WORK_GROUP_SIZE=4).
    func linearGroup(_ kernel: Kernel) -> Int {
        var size = 64
        while size > max(1, kernel.maxWorkGroupSize) { size /= 2 }
        return size
    }

    /// Global and local sizes for a 2-D launch of `across × down` work-items in groups along dimension 0 of
    /// the kernel's preferred multiple (a warp on a GPU, 8 on PoCL) within its limit, the global size rounded
    /// up to whole groups (the kernels guard the excess). Left to itself, PoCL makes one or two large groups of
    /// such a grid, which leaves a core idle.
    func rowsOfGroups(_ kernel: Kernel, across: Int, down: Int) -> (global: [Int], local: [Int]) {
        let width = max(1, min(kernel.preferredWorkGroupMultiple, kernel.maxWorkGroupSize, across))
        return ([(across + width - 1) / width * width, down], [width, 1])
    }

    /// Launches a matmul kernel producing a `rowsOut × columnsOut` result, in the geometry its file documents.
    /// `forward` selects matmul_vector.cl's dot-product blocking rather than its outer-product one. With
    /// `firstRows`, the result's first `firstRows` rows are one product and the rest another (matmul_backward's dX
    /// and dW): the kernel takes, as its last argument, how many blocks of rows (tiled: rows of work-groups) the
    /// first product has, so no block straddles the two.
    func matmul(_ shape: MatmulShape, rowsOut: Int, firstRows: Int? = nil, columnsOut: Int, forward: Bool,
                _ arguments: KernelArgument...) throws -> Event? {
        func blocks(_ count: Int, _ size: Int) -> Int { (count + size - 1) / size }
        let name = shape.kernel
        matmulShapes?.append(shape)
        let choice = tuning.choice(for: shape)
        let matmul = choice?.matmul ?? configuration.matmul
        guard let kernel = matmulKernels[matmul]?[name] else {
            throw CLError.call("clCreateKernel(\(name))", code: CLError.invalidKernelName)
        }
        /// Blocks of `size` rows down the result: the first product's, then the second's.
        func rowBlocks(_ size: Int) throws -> Int {
            guard let firstRows else { return blocks(rowsOut, size) }
            let first = blocks(firstRows, size)
            try kernel.set(arguments.count, Int32(first))
            return first + blocks(rowsOut - firstRows, size)
        }
        for (index, argument) in arguments.enumerated() { try kernel.set(index, argument) }
        switch matmul {
        case .tiled(let tile, _, let rows, let columns):
            let local = [tile / columns, tile / rows]
            let global = [blocks(columnsOut, tile) * local[0], try rowBlocks(tile) * local[1]]
            return try recorded(name, kernel.enqueue(global: global, local: local, timed: true), matmul: shape)
        case .vector(let width, let rows, let columns, let vectors):
            // 64×784→128 forward: 103 µs in PoCL's groups, 77 in these.
            let across = blocks(columnsOut, forward ? columns : vectors * width), down = try rowBlocks(rows)
            if let group = choice?.group, group.reduce(1, *) <= kernel.maxWorkGroupSize {
                let global = [blocks(across, group[0]) * group[0], blocks(down, group[1]) * group[1]]
                return try recorded(name, kernel.enqueue(global: global, local: group, timed: true), matmul: shape)
            }
            let (global, local) = rowsOfGroups(kernel, across: across, down: down)
            return try recorded(name, kernel.enqueue(global: global, local: local, timed: true), matmul: shape)
        }
    }

    func launch(_ name: String, global: [Int], local: [Int]? = nil, _ arguments: KernelArgument...) throws -> Event? {
        try launch(name, global: global, local: local, arguments: arguments)
    }

    /// Sets the arguments and enqueues. Without a `local` size, a 1-D launch gets `linearGroup`, and a 2-D or 3-D
    /// one groups along dimension 0 (`gridGroup`): never the driver's choice, which PoCL gets wrong on a device
    /// that allows fewer work-items per group than its preferred multiple.
    func launch(_ name: String, global: [Int], local: [Int]? = nil, arguments: [KernelArgument]) throws -> Event? {
        let kernel = try kernel(name)
        for (index, argument) in arguments.enumerated() { try kernel.set(index, argument) }
        let local = local ?? (global.count == 1 ? [linearGroup(kernel)] : gridGroup(kernel, global: global))
        return try recorded(name, kernel.enqueue(global: global, local: local, timed: true))
    }

    /// A launch whose build and work-group tuning may choose (`GridShape`): `sizes` are the launcher's geometry, the
    /// shape's key; `rule` the build the launcher picks by itself; `global` the grid a choice needs, from the same
    /// `-D` values its build was built with. Runs the choice forced for the kernel, else the one tuned for the shape,
    /// else the rule's build in `local` (nil: `launch`'s default). A kernel with a small-grid path takes the number
    /// of slices it runs as its last argument, after `arguments`: its launcher says how many its scratch holds
    /// (`slices`), and the choice it runs, returned, has at most that many.
    @discardableResult
    func launch(tunable name: String, sizes: [Int], rule: Int, ruleSlices: Int? = nil, slices capacity: Int? = nil,
                global: (GridChoice) -> [Int], local: [Int]? = nil,
                arguments: [KernelArgument]) throws -> (event: Event?, choice: GridChoice) {
        var choice = GridChoice(variant: rule, slices: ruleSlices)
        var shape: GridShape?
        if let forcedGrid, forcedGrid.kernel == name {
            choice = forcedGrid.choice
        } else if !tuning.grids.isEmpty || gridLaunches != nil || recorder != nil {
            // Only here is the key built: an untuned, unrecorded launch allocates nothing for it.
            shape = GridShape(kernel: name, sizes: sizes)
            choice = tuning.grids[shape!] ?? choice
        }
        // A scratch with room for no slice runs the batch whole, as one without a small-grid path does.
        let room = max(capacity ?? 1, 1)
        choice = choice.sliced(within: room)
        var grid = global(choice)
        let group = choice.group.flatMap { $0.count == grid.count ? $0 : nil }
        if let group { grid = zip(grid, group).map { ($0 + $1 - 1) / $1 * $1 } }
        let kernel = try kernel(name, variant: choice.variant)
        for (index, argument) in arguments.enumerated() { try kernel.set(index, argument) }
        if capacity != nil { try kernel.set(arguments.count, Int32(choice.slices ?? 1)) }
        let local = group ?? local ?? (grid.count == 1 ? [linearGroup(kernel)] : gridGroup(kernel, global: grid))
        if let shape { gridLaunches?.append((shape, choice, grid, local, room)) }
        return (try recorded(name, kernel.enqueue(global: grid, local: local, timed: true), grid: shape), choice)
    }

    /// Groups of a multi-dimensional launch: along dimension 0, the largest power of two within the kernel's
    /// preferred multiple and limit that divides the global size there.
    func gridGroup(_ kernel: Kernel, global: [Int]) -> [Int] {
        var width = 1
        while width * 2 <= min(kernel.preferredWorkGroupMultiple, kernel.maxWorkGroupSize) && global[0] % (width * 2) == 0 { width *= 2 }
        return [width] + [Int](repeating: 1, count: global.count - 1)
    }

    func recorded(_ kernel: String, _ event: Event?, matmul: MatmulShape? = nil, grid: GridShape? = nil) throws -> Event? {
        try recorder?.record(kernel, event, matmul: matmul, grid: grid, context: context)
        return event
    }

    /// Describes the launches that follow to the recorder, if one is set; costs nothing otherwise.
    func annotate(_ shape: @autoclosure () -> String, flops: @autoclosure () -> Double? = nil,
                  bytes: @autoclosure () -> Double? = nil) {
        recorder?.work = LaunchRecorder.Work(shape: shape(), flops: flops(), bytes: bytes())
    }

    var reduction: [Int] { [configuration.reductionGroup] }

    // MARK: Launchers, in the order a training step uses them. Each returns an event when the queue profiles.
    // relu_forward, relu_backward, bias_backward, nll_log_softmax_backward and count_correct are the unfused forms: training
    // runs their fused versions, and the checks run these so every step of the lesson has a kernel of its own.

    /// Rows `order[offset ..< offset + rows]` of the images, offset being the step record's (`stepRecord`).
    /// - Parameter normalization: `Normalization.table(channels:)`: every channel's mean, then every channel's std.
    @discardableResult
    public func gatherNormalize(images: Buffer<UInt8>, order: Buffer<Int32>, rows: Int, features: Int,
                                channels: Int, normalization: Buffer<Float>, x: Buffer<Float>) throws -> Event? {
        let (global, local) = rowsOfGroups(try kernel("gather_normalize"), across: (features + 15) / 16, down: rows)
        return try launch("gather_normalize", global: global, local: local, images, order, stepRecord, Int32(rows),
                   Int32(features), Int32(features / channels), normalization, x)
    }

    /// - Parameters:
    ///   - normalization: as `gatherNormalize`'s; the draws come from `augmentation` keyed by `seed`, the step
    ///     record's epoch and the row's sample index, `samples[offset + r]` (pass `order` where the images are the
    ///     whole dataset), offset being the step record's.
    @discardableResult
    public func gatherAugment(images: Buffer<UInt8>, order: Buffer<Int32>, samples: Buffer<Int32>, rows: Int,
                              shape: (channels: Int, height: Int, width: Int), normalization: Buffer<Float>,
                              augmentation: Augmentation, seed: UInt64, x: Buffer<Float>) throws -> Event? {
        let (global, local) = rowsOfGroups(try kernel("gather_augment"), across: shape.channels * shape.height, down: rows)
        return try launch("gather_augment", global: global, local: local, images, order, samples, stepRecord, Int32(rows),
                          Int32(shape.channels), Int32(shape.height), Int32(shape.width), normalization,
                          UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32),
                          Int32(augmentation.padding), Int32(augmentation.flip ? 1 : 0), x)
    }

    @discardableResult
    public func matmulForward(rows: Int, inputs: Int, outputs: Int, x: Buffer<Float>, weight: Buffer<Float>,
                              bias: Buffer<Float>, y: Buffer<Float>, relu: Bool) throws -> Event? {
        try matmul(MatmulShape(kernel: "matmul_forward", rows: rows, inputs: inputs, outputs: outputs),
                   rowsOut: rows, columnsOut: outputs, forward: true, Int32(rows), Int32(inputs), Int32(outputs),
                   x, weight, bias, y, Int32(relu ? 1 : 0))
    }

    /// Both backward products of a linear layer in one launch: dw, db and, where `dx` is given, the input gradient,
    /// zeroed where `activation` (the ReLU output that fed the layer; nil for an input that is not one) is ≤ 0.
    @discardableResult
    public func matmulBackward(rows: Int, inputs: Int, outputs: Int, dy: Buffer<Float>, weight: Buffer<Float>, x: Buffer<Float>,
                               activation: Buffer<Float>?, dx: Buffer<Float>?, dw: Buffer<Float>, db: Buffer<Float>) throws -> Event? {
        let inputRows = dx == nil ? 0 : rows
        // The kernel reads neither the activation without a mask nor dx without input rows; dy and dw stand in.
        return try matmul(MatmulShape(kernel: "matmul_backward", rows: rows, inputs: inputs, outputs: outputs,
                                      inputGradient: dx != nil),
                          rowsOut: inputRows + outputs, firstRows: inputRows, columnsOut: inputs, forward: false,
                          Int32(rows), Int32(inputs), Int32(outputs), dy, weight, x, activation ?? dy,
                          Int32(activation == nil ? 0 : 1), dx ?? dw, dw, db)
    }

    @discardableResult
    public func biasBackward(rows: Int, outputs: Int, dy: Buffer<Float>, db: Buffer<Float>) throws -> Event? {
        try launch("bias_backward", global: linear(outputs), Int32(rows), Int32(outputs), dy, db)
    }

    @discardableResult
    public func reluForward(x: Buffer<Float>, y: Buffer<Float>, count: Int) throws -> Event? {
        try launch("relu_forward", global: linear(count), x, y, Int32(count))
    }

    @discardableResult
    public func reluBackward(x: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>, count: Int) throws -> Event? {
        try launch("relu_backward", global: linear(count), x, dy, dx, Int32(count))
    }

    @discardableResult
    public func logSoftmaxForward(rows: Int, classes: Int, z: Buffer<Float>, logp: Buffer<Float>) throws -> Event? {
        try launch("log_softmax_forward", global: linear(rows), Int32(rows), Int32(classes), z, logp)
    }

    @discardableResult
    public func nllLoss(rows: Int, classes: Int, logp: Buffer<Float>, labels: Buffer<UInt8>, order: Buffer<Int32>,
                        offset: Int, losses: Buffer<Float>, slot: Int) throws -> Event? {
        try launch("nll_loss", global: reduction, local: reduction, Int32(rows), Int32(classes), logp, labels, order,
                   Int32(offset), losses, Int32(slot))
    }

    @discardableResult
    public func nllLogSoftmaxBackward(rows: Int, classes: Int, logp: Buffer<Float>, labels: Buffer<UInt8>,
                                      order: Buffer<Int32>, offset: Int, dz: Buffer<Float>) throws -> Event? {
        try launch("nll_log_softmax_backward", global: linear(rows), Int32(rows), Int32(classes), logp, labels, order,
                   Int32(offset), dz)
    }

    @discardableResult
    public func argmax(rows: Int, classes: Int, z: Buffer<Float>, predictions: Buffer<Int32>) throws -> Event? {
        try launch("argmax", global: linear(rows), Int32(rows), Int32(classes), z, predictions)
    }

    @discardableResult
    public func countCorrect(rows: Int, predictions: Buffer<Int32>, labels: Buffer<UInt8>, order: Buffer<Int32>,
                             offset: Int, correct: Buffer<Int32>, slot: Int) throws -> Event? {
        try launch("count_correct", global: reduction, local: reduction, Int32(rows), predictions, labels, order,
                   Int32(offset), correct, Int32(slot))
    }
}
