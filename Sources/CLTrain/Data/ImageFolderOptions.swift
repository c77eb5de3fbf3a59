/// How an image folder is read: `--resize H,W`, `--skip-bad`, `--validation-split F` (with the seed that draws it).
public struct ImageFolderOptions: Equatable, Sendable {
    /// Every image is resampled to this size; nil: all must have the first image's.
    public var resize: ImageSize?
    /// Leave out (and count) images that cannot be decoded instead of stopping at the first.
    public var skipBad = false
    /// The fraction of each class held out as the test set, for a folder of class folders without train/ and test/.
    public var validationSplit: Double?
    /// Draws the split: the run's `--seed`, so the same seed holds out the same images.
    public var splitSeed: UInt64 = 0

    public init(resize: ImageSize? = nil, skipBad: Bool = false, validationSplit: Double? = nil, splitSeed: UInt64 = 0) {
        (self.resize, self.skipBad, self.validationSplit, self.splitSeed) = (resize, skipBad, validationSplit, splitSeed)
    }
}

/// Height and width in pixels, written `H,W` as torchvision's `Resize((H, W))` takes them.
public struct ImageSize: Equatable, Sendable, CustomStringConvertible {
    public let height: Int
    public let width: Int

    public init(height: Int, width: Int) { (self.height, self.width) = (height, width) }

    /// "H,W" with sides from 1 to `IDX.maximumSide`; nil otherwise.
    public init?(parsing text: String) {
        let sides = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard sides.count == 2, let height = sides[0], let width = sides[1],
              (1...IDX.maximumSide).contains(height), (1...IDX.maximumSide).contains(width) else { return nil }
        self.init(height: height, width: width)
    }

    public var description: String { "\(height)×\(width)" }
}

/// A run's held-out fraction of each class and the seed that drew it, kept in the checkpoint so that `eval` and
/// `--resume` test on the same images.
public struct ValidationSplit: Equatable, Sendable {
    public let fraction: Double
    public let seed: UInt64

    public init(fraction: Double, seed: UInt64) { (self.fraction, self.seed) = (fraction, seed) }
}
