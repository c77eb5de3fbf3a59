import Foundation

/// Inputs are scaled to [0, 1], then shifted and scaled per channel: `(x / 255 − mean[c]) / std[c]`, as
/// torchvision's `Normalize(mean, std)`. One value stands for every channel.
public struct Normalization: Codable, Equatable, Sendable {
    /// One value per channel, or one for all of them.
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(!mean.isEmpty && mean.count == std.count, "a mean and a std for each channel")
        self.mean = mean
        self.std = std
    }

    public init(mean: Float, std: Float) { self.init(mean: [mean], std: [std]) }

    /// The lesson's `transforms.Normalize((0.5,), (0.5,))`, which maps pixels to [−1, 1].
    public static let lesson = Normalization(mean: 0.5, std: 0.5)

    public func apply(_ pixel: UInt8, channel: Int = 0) -> Float {
        let c = mean.count == 1 ? 0 : channel
        return (Float(pixel) / 255 - mean[c]) / std[c]
    }

    /// One image of `channels` planes, normalized pixel by pixel.
    public func apply(image pixels: some Collection<UInt8>, channels: Int) -> [Float] {
        let plane = pixels.count / channels
        return pixels.enumerated().map { apply($1, channel: $0 / plane) }
    }

    /// The values of every one of `channels` channels, means first, then stds: what the gather kernel reads.
    public func table(channels: Int) -> [Float] {
        (0..<channels).map { mean[mean.count == 1 ? 0 : $0] } + (0..<channels).map { std[std.count == 1 ? 0 : $0] }
    }

    /// Whether it can normalize images of `channels` channels: one value for all, or one each.
    public func fits(channels: Int) -> Bool { mean.count == 1 || mean.count == channels }

    /// The per-channel mean and (population) std of the training images, each over every pixel of that channel,
    /// in the [0, 1] scale: what `--normalize auto` uses. A constant channel gets std 1, so it maps to zero.
    public static func measured(_ dataset: Dataset) -> Normalization {
        // One pass over every image: a mapped file's pages need not stay afterwards.
        defer { dataset.images.evictPages() }
        let plane = dataset.rows * dataset.columns
        var sums = [Double](repeating: 0, count: dataset.channels), squares = sums
        dataset.images.withUnsafeBufferPointer { pixels in
            for image in 0..<dataset.count {
                for c in 0..<dataset.channels {
                    // Integer sums of one plane are exact; only the totals go through Double.
                    var sum = 0, square = 0
                    for value in pixels[((image * dataset.channels + c) * plane)..<((image * dataset.channels + c + 1) * plane)] {
                        sum += Int(value)
                        square += Int(value) * Int(value)
                    }
                    sums[c] += Double(sum)
                    squares[c] += Double(square)
                }
            }
        }
        let count = Double(max(dataset.count * plane, 1))
        let means = sums.map { $0 / count / 255 }
        let stds = zip(squares, means).map { square, mean in (max(square / count / 65_025 - mean * mean, 0)).squareRoot() }
        return Normalization(mean: means.map { Float($0) }, std: stds.map { $0 > 1e-6 ? Float($0) : 1 })
    }
}

/// What `--normalize` asks for: `auto` (measured on the training set), `M,S` (every channel) or
/// `M1,M2,M3/S1,S2,S3` (one pair per channel).
public enum NormalizationChoice: Equatable, Sendable {
    case auto
    case fixed(Normalization)

    public static let syntax = "auto, M,S or M1,M2,M3/S1,S2,S3"

    public init(parsing text: String) throws(InvalidSetting) {
        if text == "auto" {
            self = .auto
            return
        }
        let bad = InvalidSetting(key: "normalize", value: text, expected: "\(Self.syntax) (means and stds in the [0, 1] scale)")
        let halves = text.contains("/") ? text.split(separator: "/", omittingEmptySubsequences: false) : []
        let lists: [[Float?]]
        if halves.isEmpty {
            let pair = text.split(separator: ",", omittingEmptySubsequences: false).map { number($0) }
            guard pair.count == 2 else { throw bad }
            lists = [[pair[0]], [pair[1]]]
        } else {
            guard halves.count == 2 else { throw bad }
            lists = halves.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { number($0) } }
        }
        let (means, stds) = (lists[0].compactMap { $0 }, lists[1].compactMap { $0 })
        guard means.count == lists[0].count, stds.count == lists[1].count, means.count == stds.count else { throw bad }
        self = .fixed(try Normalization(mean: means, std: stds).validated())
    }

    /// The values a run on `train` uses; refuses per-channel values for another number of channels. `auto` is
    /// measured once per training set where `identity` says what the data was read from (`LoadedData.identity`),
    /// and read from the cache (`NormalizationCache`, under `environment`'s cache folder) after that.
    public func resolved(for train: Dataset, identity: String? = nil,
                         environment: [String: String] = ProcessInfo.processInfo.environment) throws(InvalidSetting) -> Normalization {
        switch self {
        case .auto:
            let cache = identity.map { NormalizationCache(identity: $0, train: train, environment: environment) }
            if let cached = cache?.read() { return cached }
            let measured = try Normalization.measured(train).validated()
            cache?.write(measured)
            return measured
        case .fixed(let normalization):
            guard normalization.fits(channels: train.channels) else {
                throw InvalidSetting(key: "normalize", value: "\(normalization.mean.count) channels",
                                     expected: "one value or \(train.channels) (the channels of \(train.name))")
            }
            return normalization
        }
    }
}

private func number(_ text: Substring) -> Float? {
    Float(text.trimmingCharacters(in: .whitespaces))
}

extension Normalization: CustomStringConvertible {
    /// "mean 0.4914,0.4822,0.4465 std 0.247,0.2435,0.2616", four decimals.
    public var description: String {
        func list(_ values: [Float]) -> String { values.map { String(format: "%.4g", $0) }.joined(separator: ",") }
        return "mean \(list(mean)) std \(list(std))"
    }
}
