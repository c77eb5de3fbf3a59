/// A CIFAR batch file in the real binary layout: per image its label byte (CIFAR-100: a coarse label, here
/// label / 5, then the fine one), then the red, green and blue 32×32 planes.
public func cifarBatch(images: [UInt8], labels: [UInt8], coarse: Bool = false) -> [UInt8] {
    labels.indices.flatMap { i in (coarse ? [labels[i] / 5] : []) + [labels[i]] + images[(i * 3072)..<((i + 1) * 3072)] }
}
