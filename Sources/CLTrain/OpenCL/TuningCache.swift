import CLKit
import Foundation

/// `cltrain tune`'s winners on disk, one file per device and kernel build: `$XDG_CACHE_HOME/cltrain/tuning`.
///
/// A file is found by a hash of its key: device name, vendor, driver version, platform, and a hash of the kernel
/// sources and the build options they are compiled with, so another driver or an edited kernel never reads a
/// stale winner. The file holds the whole key; one whose key, format or values do not check out is ignored
/// (and overwritten by the next `tune`). Files are written atomically: a temporary file renamed into place.
public struct TuningCache: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The commands' tuning cache: `$CLTRAIN_TUNING_CACHE` (a folder, or `off` for none), else `tuning` in
    /// `cacheFolder`.
    public static func user(environment: [String: String] = ProcessInfo.processInfo.environment) -> TuningCache? {
        switch environment["CLTRAIN_TUNING_CACHE"] {
        case "off": return nil
        case let folder? where !folder.isEmpty: return TuningCache(directory: folder)
        default: return TuningCache(directory: cacheFolder(environment: environment) + "/tuning")
        }
    }

    static let format = "cltrain tuning 1"

    /// What must match for a file's winners to be used on `device` with `configuration` (the device's default,
    /// whose options the tuned matmul programs share), the kernel `sources` and the builds each kind makes of its
    /// file (`Layer.kernelVariants`, which a grid choice names by position).
    public static func key(device: Device, configuration: KernelConfiguration, sources: [String: String]) -> String {
        let builds = LayerRegistry.kinds.map { "\($0.name) \($0.kernelVariants)" }.joined(separator: "\n")
        let text = sources.sorted { $0.key < $1.key }.map { "\($0.key)\n\($0.value)" }.joined(separator: "\n") + "\n" + builds
        let build = device.openCLCStandardOption + " " + configuration.buildOptions
        return [device.name, device.vendor, device.driverVersion, device.platformName, build,
                String(ProgramCache.fnv1a(Array(text.utf8)), radix: 16)]
            .map { $0.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ") }
            .joined(separator: "\t")
    }

    public func path(forKey key: String) -> String {
        directory + "/" + String(ProgramCache.fnv1a(Array(key.utf8)), radix: 16) + ".json"
    }

    struct Entry: Codable {
        let shape: MatmulShape
        let choice: MatmulChoice
    }

    struct GridEntry: Codable {
        let shape: GridShape
        let choice: GridChoice
    }

    /// `grids` is absent from the files of versions that tuned matmuls only.
    struct File: Codable {
        let format: String
        let key: String
        let entries: [Entry]
        let grids: [GridEntry]?
    }

    /// The winners stored under `key`; nil when there is no file, or it is damaged, someone else's or holds a
    /// configuration no kernel could be built with.
    public func tuning(forKey key: String) -> Tuning? { Self.tuning(at: path(forKey: key), key: key) }

    /// The winners the file at `path` stores under `key`, as `tuning(forKey:)` reads them.
    static func tuning(at path: String, key: String) -> Tuning? {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size <= 1 << 20,
              let data = FileManager.default.contents(atPath: path),
              let file = try? JSONDecoder().decode(File.self, from: data),
              file.format == Self.format, file.key == key,
              file.entries.allSatisfy({ $0.shape.isPlausible && $0.choice.isPlausible }),
              (file.grids ?? []).allSatisfy({ $0.shape.isPlausible && $0.choice.isPlausible }) else { return nil }
        return Tuning(choices: Dictionary(file.entries.map { ($0.shape, $0.choice) }) { _, last in last },
                      grids: Dictionary((file.grids ?? []).map { ($0.shape, $0.choice) }) { _, last in last })
    }

    /// Stores `tuning`, the outcome of tuning `shapes` and `grids`, under `key`, keeping the winners already there
    /// for other shapes (another model's); a tuned shape without a winner now runs the default, whatever it ran before.
    public func store(_ tuning: Tuning, tuned shapes: [MatmulShape], grids: [GridShape] = [], forKey key: String) throws {
        let stored = self.tuning(forKey: key) ?? Tuning()
        var choices = stored.choices, gridChoices = stored.grids
        for shape in shapes { choices[shape] = nil }
        for shape in grids { gridChoices[shape] = nil }
        choices.merge(tuning.choices) { _, new in new }
        gridChoices.merge(tuning.grids) { _, new in new }
        let entries = choices.map { Entry(shape: $0.key, choice: $0.value) }
            .sorted { ($0.shape.kernel, $0.shape.rows, $0.shape.inputs, $0.shape.outputs)
                < ($1.shape.kernel, $1.shape.rows, $1.shape.inputs, $1.shape.outputs) }
        let gridEntries = gridChoices.map { GridEntry(shape: $0.key, choice: $0.value) }
            .sorted { "\($0.shape)" < "\($1.shape)" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(File(format: Self.format, key: key, entries: entries, grids: gridEntries))
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: path(forKey: key)), options: .atomic)
        } catch {
            throw TuningError("cannot write the tuning cache in \(directory): \(error.localizedDescription)")
        }
    }
}

public struct TuningError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension MatmulShape {
    var isPlausible: Bool {
        KernelLibrary.matmulNames.contains(kernel) && [rows, inputs, outputs].allSatisfy { (1...(1 << 30)).contains($0) }
    }
}

extension MatmulChoice {
    var isPlausible: Bool {
        matmul.isPlausible && (group.map { $0.count == 2 && $0.allSatisfy { (1...1024).contains($0) } } ?? true)
    }
}

extension KernelConfiguration.Matmul {
    /// Whether the launcher's arithmetic holds for these sizes (no division by zero, whole blocks per tile);
    /// whether the device takes them is for the build to say.
    var isPlausible: Bool {
        let powers = [1, 2, 4, 8, 16, 32, 64, 128]
        switch self {
        case .tiled(let tile, let depth, let rows, let columns):
            return [tile, depth, rows, columns].allSatisfy(powers.contains) && rows <= tile && columns <= tile
        case .vector(let width, let rows, let columns, let vectors):
            return [1, 2, 4, 8, 16].contains(width) && [rows, columns, vectors].allSatisfy { (1...16).contains($0) }
        }
    }
}

/// The matmul configurations a run uses and how it says so in its header: the winners cached for its device
/// and kernels, else the built-in defaults of its device class.
public struct RunTuning: Sendable {
    public let tuning: Tuning
    /// "cached (N shapes, FILE)" or "defaults (why)".
    public let summary: String

    /// - Parameter enabled: false for `--tuning off`, which ignores the cache.
    public static func load(device: Device, enabled: Bool, cache: TuningCache? = .user(),
                            sources: [String: String] = Kernels.sources) -> RunTuning {
        guard enabled else { return RunTuning(tuning: Tuning(), summary: "defaults (--tuning off)") }
        guard let cache else { return RunTuning(tuning: Tuning(), summary: "defaults (CLTRAIN_TUNING_CACHE=off)") }
        let key = TuningCache.key(device: device, configuration: .choose(for: device), sources: sources)
        guard let tuning = cache.tuning(forKey: key) else {
            // The hint only where tuning pays: on PoCL's CPU device the defaults held for every lesson shape and
            // tuning changed about 6% of a LeNet-5 step; a GPU's matmul shapes are where winners are found.
            let hint = device.kind == .cpu ? "" : "; see cltrain tune"
            return RunTuning(tuning: Tuning(), summary: "defaults (nothing tuned for this device and these kernels\(hint))")
        }
        return RunTuning(tuning: tuning, summary: "cached (\(tuning.choices.count + tuning.grids.count) shapes, \(cache.path(forKey: key)))")
    }
}
