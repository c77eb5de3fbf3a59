import CLKit

extension CrossEntropy {
    public static func launch(_ library: KernelLibrary, rows: Int, classes: Int, z: Buffer<Float>, labels: Buffer<UInt8>,
                              order: Buffer<Int32>, losses: Buffer<Float>, dz: Buffer<Float>,
                              settings: LossConfig) throws -> Event? {
        let reduction = library.reduction
        return try library.launch("cross_entropy_forward_backward", global: reduction, local: reduction, Int32(rows), Int32(classes),
                                  z, labels, order, library.stepRecord, losses, dz, settings.labelSmoothing)
    }
}
