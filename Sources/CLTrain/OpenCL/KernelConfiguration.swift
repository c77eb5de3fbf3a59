import CLKit

/// Per-device build-time choices: the matmul tile (see Kernels/matmul.cl) and the size of the single
/// work-group that reduces a batch. They become `-D` options, so the compiler sees constants.
public struct KernelConfiguration: Equatable, Sendable, CustomStringConvertible {
    /// Edge of the output tile one work-group computes.
    public var tile: Int
    /// Depth of the slices staged in local memory.
    public var depth: Int
    /// Rows and columns of the block each work-item accumulates in registers.
    public var blockRows: Int
    public var blockColumns: Int
    /// Work-items of the reducing work-group (a power of two).
    public var reductionGroup: Int

    public init(tile: Int, depth: Int, blockRows: Int, blockColumns: Int, reductionGroup: Int) {
        self.tile = tile
        self.depth = depth
        self.blockRows = blockRows
        self.blockColumns = blockColumns
        self.reductionGroup = reductionGroup
    }

    /// The matmul work-group's shape: (tile / blockColumns, tile / blockRows).
    public var matmulGroup: [Int] { [tile / blockColumns, tile / blockRows] }

    /// A configuration that fits `device`: never more work-items per group than it reports.
    public static func choose(for device: Device) -> KernelConfiguration {
        var configuration = KernelConfiguration(tile: 32, depth: 16, blockRows: 4, blockColumns: 4, reductionGroup: 64)
        while configuration.matmulGroup.reduce(1, *) > device.maxWorkGroupSize && configuration.tile > configuration.blockRows {
            configuration.tile /= 2
        }
        while configuration.reductionGroup > device.maxWorkGroupSize { configuration.reductionGroup /= 2 }
        return configuration
    }

    public var buildOptions: String {
        "-DTS=\(tile) -DTK=\(depth) -DWM=\(blockRows) -DWN=\(blockColumns) -DLOSS_GROUP=\(reductionGroup)"
    }

    public var description: String {
        "matmul tile \(tile)×\(tile)×\(depth), \(blockRows)×\(blockColumns) per work-item; reductions over \(reductionGroup)"
    }
}
