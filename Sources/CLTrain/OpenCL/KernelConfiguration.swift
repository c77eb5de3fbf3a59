import CLKit

/// Per-device build-time choices: which matmul file and its block sizes, and the size of the single
/// work-group that reduces a batch. They become `-D` options, so the compiler sees constants.
public struct KernelConfiguration: Equatable, Sendable, CustomStringConvertible {
    public enum Matmul: Hashable, Sendable, Codable {
        /// Kernels/matmul_tiled.cl, for GPUs: a work-group computes a `tile`² block of the output through local
        /// memory, `depth` deep at a time; each work-item accumulates `blockRows × blockColumns` in registers.
        case tiled(tile: Int, depth: Int, blockRows: Int, blockColumns: Int)
        /// Kernels/matmul_vector.cl, for CPU devices: `width`-wide vectors; each work-item computes
        /// `blockRows × blockColumns` outputs of the forward product, or `blockRows × vectors·width` of a backward one.
        case vector(width: Int, blockRows: Int, blockColumns: Int, vectors: Int)
    }

    public var matmul: Matmul
    /// Work-items of the reducing work-group (a power of two).
    public var reductionGroup: Int

    public init(matmul: Matmul, reductionGroup: Int) {
        self.matmul = matmul
        self.reductionGroup = reductionGroup
    }

    public static let gpu = KernelConfiguration(matmul: .tiled(tile: 32, depth: 16, blockRows: 4, blockColumns: 4),
                                                 reductionGroup: 64)
    public static let cpu = KernelConfiguration(matmul: .vector(width: 16, blockRows: 4, blockColumns: 4, vectors: 2),
                                                reductionGroup: 64)

    /// A configuration that fits `device`: the vector kernels on CPUs, the tiled ones elsewhere, within the
    /// device's work-group and local memory limits.
    public static func choose(for device: Device) -> KernelConfiguration {
        (device.kind == .cpu ? cpu : gpu).fitted(to: device)
    }

    func fitted(to device: Device) -> KernelConfiguration {
        fitted(maxWorkGroupSize: device.maxWorkGroupSize, localMemoryBytes: Int(clamping: device.localMemoryBytes))
    }

    /// This configuration with its fixed-size work-groups shrunk to at most `maxWorkGroupSize` work-items and
    /// its local memory to at most `localMemoryBytes` a group: smaller tiles, then shallower slices.
    public func fitted(maxWorkGroupSize: Int, localMemoryBytes: Int) -> KernelConfiguration {
        var configuration = self
        while configuration.reductionGroup > max(1, maxWorkGroupSize) || configuration.reductionBytes > localMemoryBytes,
              configuration.reductionGroup > 1 {
            configuration.reductionGroup /= 2
        }
        if case .tiled(var tile, var depth, let rows, let columns) = configuration.matmul {
            while (tile / columns) * (tile / rows) > maxWorkGroupSize && tile > max(rows, columns) { tile /= 2 }
            while 2 * tile * depth * 4 > localMemoryBytes && depth > 1 { depth /= 2 }
            configuration.matmul = .tiled(tile: tile, depth: depth, blockRows: rows, blockColumns: columns)
        }
        return configuration
    }

    private var reductionBytes: Int { reductionGroup * 4 }

    /// Every matmul variant, each fitted to `device` as `choose` fits its own.
    public static func variants(for device: Device) -> [KernelConfiguration] {
        [cpu, gpu].map { $0.fitted(to: device) }
    }

    /// The kernel file that defines the matmul kernels; the other matmul file is not built.
    public var matmulFile: String { matmul.file }

    public var buildOptions: String {
        matmul.buildOptions + " -DLOSS_GROUP=\(reductionGroup)"
    }

    public var description: String {
        matmul.description + "; reductions over \(reductionGroup)"
    }
}

extension KernelConfiguration.Matmul: CustomStringConvertible {
    /// The kernel file that defines the matmul kernels of this family.
    public var file: String {
        switch self {
        case .tiled: return "matmul_tiled"
        case .vector: return "matmul_vector"
        }
    }

    /// The `-D` options that size the kernels of `file`.
    public var buildOptions: String {
        switch self {
        case .tiled(let tile, let depth, let rows, let columns):
            return "-DTS=\(tile) -DTK=\(depth) -DWM=\(rows) -DWN=\(columns)"
        case .vector(let width, let rows, let columns, let vectors):
            return "-DVW=\(width) -DBM=\(rows) -DBN=\(columns) -DBV=\(vectors)"
        }
    }

    public var description: String {
        switch self {
        case .tiled(let tile, let depth, let rows, let columns):
            return "tiled matmul \(tile)×\(tile)×\(depth), \(rows)×\(columns) per work-item"
        case .vector(let width, let rows, let columns, let vectors):
            return "vector matmul float\(width), \(rows)×\(columns) (forward) and \(rows)×\(vectors * width) (backward) per work-item"
        }
    }
}
