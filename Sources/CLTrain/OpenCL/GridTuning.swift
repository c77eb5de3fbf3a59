/// One launch of a layer kind's kernel whose build and work-group `cltrain tune` may choose, as it chooses a matmul's
/// configuration: the kernel and the sizes its launcher passes first (a convolution's or a pooling's geometry).
public struct GridShape: Hashable, Sendable, Codable, CustomStringConvertible {
    public let kernel: String
    public let sizes: [Int]

    public init(kernel: String, sizes: [Int]) {
        (self.kernel, self.sizes) = (kernel, sizes)
    }

    public var description: String { "\(kernel) " + sizes.map(String.init).joined(separator: ",") }
}

/// How a grid launch runs: `variant` indexes its kind's `kernelVariants` (the `-D` blocking it is built with, which
/// its launcher sizes the grid from), and `group` is its work-group (nil: the launcher's own). A chosen group may
/// not divide the grid: the grid is then rounded up to whole groups, whose extra work-items the kernels skip.
/// `slices` (nil: one) splits a reduction over the batch into that many launches' worth of work-items whose partial
/// sums a second kernel adds: the small-grid path, for a launch that offers it (conv2d_backward_weight).
public struct GridChoice: Hashable, Sendable, Codable, CustomStringConvertible {
    public let variant: Int
    public let group: [Int]?
    public let slices: Int?

    public init(variant: Int, group: [Int]? = nil, slices: Int? = nil) {
        (self.variant, self.group, self.slices) = (variant, group, slices == 1 ? nil : slices)
    }

    public var description: String {
        "build \(variant)" + (group.map { " in groups of " + $0.map(String.init).joined(separator: "×") } ?? "")
            + (slices.map { ", the batch in \($0) slices" } ?? "")
    }

    /// This choice with at most `capacity` (≥ 1) slices: what a launch whose scratch holds `capacity` runs.
    func sliced(within capacity: Int) -> GridChoice {
        GridChoice(variant: variant, group: group, slices: min(slices ?? 1, capacity))
    }

    /// The work-groups worth timing for a grid of `global` work-items: `sizes` work-items each (those the device
    /// allows and the grid can fill), laid along dimension 0 up to the grid's width there (a power of two) or the
    /// device's limit along it (`dimensionLimits`), then along dimension 1, then 2. A CPU device runs a group as one
    /// task, so small groups cost scheduling and large ones idle a core; a GPU wants groups of its warp or wavefront
    /// and more; the launchers' own groups run along dimension 0 only, which leaves most of a warp idle on a row of
    /// two vectors (LeNet-5's 28 pixels).
    static func groups(for global: [Int], maxWorkGroupSize: Int, dimensionLimits: [Int] = [],
                       sizes: [Int] = [1, 4, 16, 64, 256]) -> [[Int]] {
        func ceilingPowerOfTwo(_ n: Int) -> Int { var p = 1; while p < n { p *= 2 }; return p }
        func floorPowerOfTwo(_ n: Int) -> Int { var p = 1; while p * 2 <= n { p *= 2 }; return p }
        let room = global.enumerated().map { d, width in
            min(ceilingPowerOfTwo(width), d < dimensionLimits.count ? floorPowerOfTwo(max(dimensionLimits[d], 1)) : .max)
        }
        var seen = Set<[Int]>()
        return sizes.filter { $0 <= maxWorkGroupSize && $0 <= room.reduce(1, *) }.compactMap { size in
            var left = size
            let group = room.map { width -> Int in
                let here = min(width, left)
                left /= here
                return here
            }
            return seen.insert(group).inserted ? group : nil
        }
    }

    /// Whether the launcher's arithmetic holds (a build index and a group it can launch); whether the device
    /// takes them is for `KernelLibrary` to say.
    var isPlausible: Bool {
        (0..<16).contains(variant) && (group.map { (1...3).contains($0.count) && $0.allSatisfy { (1...1024).contains($0) } } ?? true)
            && (slices.map { (2...1024).contains($0) } ?? true)
    }
}

extension GridShape {
    var isPlausible: Bool {
        (1...100).contains(kernel.count) && (1...16).contains(sizes.count) && sizes.allSatisfy { (0...(1 << 30)).contains($0) }
    }
}
