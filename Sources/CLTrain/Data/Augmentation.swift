/// `--augment crop=P,flip`: torchvision's `RandomCrop(size, padding=P)` (zero padding, so a padded pixel is the
/// normalization of 0) followed by `RandomHorizontalFlip()`, applied to training batches only.
///
/// Each sample's crop offsets and flip come from Philox-4x32-10 with key (seed) and counter (sample index, epoch,
/// 0, 0): the same on every device and in the twin, whatever the batch order, and a resumed run draws what the
/// straight run drew. Dropout's counters end in its step, which is never 0, so the two never share a draw.
public struct Augmentation: Equatable, Sendable, CustomStringConvertible {
    /// Zero padding on each side before the random crop; 0: no crop.
    public var padding: Int
    public var flip: Bool

    public init(padding: Int = 0, flip: Bool = false) { (self.padding, self.flip) = (padding, flip) }

    public static let none = Augmentation()
    public var isNone: Bool { padding == 0 && !flip }

    public static let syntax = "crop=P,flip, crop=P or flip"

    /// Parses `crop=P,flip`, `crop=P`, `flip` (or `none`); P from 1 to 64.
    public init(parsing text: String) throws(InvalidSetting) {
        self.init()
        guard text != "none" else { return }
        let bad = InvalidSetting(key: "augment", value: text, expected: "\(Self.syntax), with P from 1 to 64")
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            if part == "flip", !flip {
                flip = true
            } else if part.hasPrefix("crop="), padding == 0, let value = Int(part.dropFirst(5)), (1...64).contains(value) {
                padding = value
            } else {
                throw bad
            }
        }
    }

    /// "crop=4,flip", as `--augment` takes it and the checkpoint stores it; "none" for no augmentation.
    public var description: String {
        isNone ? "none" : ([padding > 0 ? "crop=\(padding)" : nil, flip ? "flip" : nil].compactMap { $0 }).joined(separator: ",")
    }

    /// Sample `sample`'s draw in epoch `epoch`: the crop's offsets (each in −padding…padding) and whether it is mirrored.
    public func draw(sample: Int, epoch: Int, seed: UInt64) -> (dy: Int, dx: Int, mirrored: Bool) {
        let word = Philox.block(counter: (UInt32(truncatingIfNeeded: sample), UInt32(truncatingIfNeeded: epoch), 0, 0),
                                key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        let span = UInt32(2 * padding + 1)
        return (Int(word.0 % span) - padding, Int(word.1 % span) - padding, flip && word.2 & 1 == 1)
    }
}
