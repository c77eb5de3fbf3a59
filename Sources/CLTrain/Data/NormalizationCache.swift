import Foundation

/// `--normalize auto`'s measurement of a training set, kept so that it is made once: `<cache>/normalization/<key>.json`,
/// the key the MD5 of what the data was read from (`LoadedData.identity`: every file with its size and modification
/// time, or an image folder's decode cache) and the training split's name, count and shape. A later run on the same
/// data reads the mean and std instead of passing over every training image; any change to the data measures afresh.
/// A file that does not parse, or holds values training cannot use, is measured over and replaced.
struct NormalizationCache {
    let path: String
    private let channels: Int

    init(identity: String, train: Dataset, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let key = "\(identity)\n\(train.name) \(train.count) \(train.shape)"
        path = cacheFolder(environment: environment) + "/normalization/" + MD5.hex(Array(key.utf8)) + ".json"
        channels = train.channels
    }

    /// The cached values, or nil where there are none usable.
    func read() -> Normalization? {
        guard let bytes = try? FileBytes.contents(of: path, limit: 1 << 16),
              let cached = try? JSONDecoder().decode(Normalization.self, from: Data(bytes)),
              cached.mean.count == channels, cached.std.count == channels, (try? cached.validated()) != nil else { return nil }
        return cached
    }

    /// Keeps `normalization`; a cache that cannot be written costs only the next run's measurement.
    func write(_ normalization: Normalization) {
        guard let json = try? JSONEncoder().encode(normalization) else { return }
        try? Fetcher.createFolder((path as NSString).deletingLastPathComponent)
        try? FileBytes.replace(path, with: Array(json))
    }
}
