import Foundation

/// torchvision's `ImageFolder`: `DIR/train/<class>/…` with `DIR/test/<class>/…` (or `val/`), or `DIR/<class>/…`
/// split by `--validation-split`. Classes are the sorted folder names; files are found at any depth below a class
/// folder, PNG and JPEG told apart by their first bytes. Decoding happens once: the images land in a cache file
/// keyed by the file list, sizes and times (`ImageCache`), which later runs read instead.
struct ImageFolder {
    let directory: String
    let options: ImageFolderOptions

    /// Whether `directory` holds folders, as an image folder does, and no files of the other formats.
    static func looksLike(_ directory: String) -> Bool {
        !subfolders(directory).isEmpty
    }

    /// One file below a class folder, with what the cache key needs.
    struct Entry {
        let path: String
        let label: Int
        let size: Int
        let modified: Int
    }

    /// Where the split's files come from: `train`, `test`, or `all` before `--validation-split` divides it.
    struct Split {
        let name: String
        let entries: [Entry]
        /// Files beside the class folders (a README), which belong to no class.
        let strays: Int
    }

    func load(environment: [String: String]) throws -> LoadedData {
        let (classNames, splits) = try layout()
        guard !classNames.isEmpty else { throw DataError.noSamples(directory) }
        guard classNames.count <= 256 else {
            throw DataError.invalidRequest("\(directory): \(classNames.count) class folders; cltrain trains on at most 256 classes")
        }
        let cache = ImageCache(directory: cacheFolder(environment: environment) + "/images", splits: splits, options: options,
                               classNames: classNames)
        let decoded: ImageCache.Contents
        var notes: [String]
        if let cached = cache.read() {
            decoded = cached
            notes = ["decoded images read from the cache \(abbreviated(cache.path))"]
        } else {
            decoded = try decode(splits, classNames: classNames)
            notes = [cache.write(decoded).map { "could not write the decode cache: \($0)" }
                ?? "decoded \(decoded.formats.map { "\($1) \($0)" }.sorted().joined(separator: " and ")) images once into \(abbreviated(cache.path))"]
        }
        notes += decoded.notes
        let name = URL(fileURLWithPath: directory).lastPathComponent
        let datasets = decoded.splits.map { split in
            Dataset(name: "\(name) \(split.name)", images: split.images, labels: split.labels, channels: decoded.channels,
                    rows: decoded.rows, columns: decoded.columns, classes: classNames.count)
        }
        var (train, test) = (datasets[0], datasets.count > 1 ? datasets[1] : datasets[0])
        if datasets.count == 1, let fraction = options.validationSplit {
            (train, test) = ImageFolder.split(datasets[0], holdingOut: fraction, seed: options.splitSeed, name: name)
            notes.append("held out \(test.count) of \(datasets[0].count) images as the test set (--validation-split \(fraction), seed \(options.splitSeed))")
        }
        guard train.count > 0, test.count > 0 else { throw DataError.noSamples(directory + "/" + (train.count == 0 ? "train" : "test")) }
        return LoadedData(train: train, test: test, source: "\(abbreviated(directory)) (image folder)", kind: .folder,
                          files: [directory], classNames: classNames, notes: notes,
                          identity: cache.path + (options.validationSplit.map { "\nsplit \($0) seed \(options.splitSeed)" } ?? ""))
    }

    /// The class names and the files of each split, from the folder's layout.
    private func layout() throws -> ([String], [Split]) {
        let top = Self.subfolders(directory)
        if top.contains("train") {
            guard let testName = ["test", "val"].first(where: top.contains) else {
                throw DataError.invalidRequest("\(directory)/train: an image folder with train/ needs test/ or val/ beside it")
            }
            if options.validationSplit != nil {
                throw DataError.invalidRequest("--validation-split: \(directory) already has train/ and \(testName)/; "
                    + "the split is for a folder of class folders only")
            }
            let classes = Self.subfolders(directory + "/train")
            if let stray = Self.subfolders(directory + "/" + testName).first(where: { !classes.contains($0) }) {
                throw DataError.invalidRequest("\(directory)/\(testName)/\(stray): a class that train/ does not have")
            }
            return (classes, [try split("train", "train", classes), try split("test", testName, classes)])
        }
        guard let fraction = options.validationSplit else {
            throw DataError.invalidRequest("\(directory): class folders without train/ and test/; pass --validation-split F "
                + "to hold out a fraction F of each class as the test set")
        }
        guard fraction > 0 && fraction < 1 else {
            throw DataError.invalidRequest("--validation-split must be a fraction between 0 and 1 (exclusive), got \(fraction)")
        }
        return (top, [try split("all", nil, top)])
    }

    private func split(_ name: String, _ folder: String?, _ classes: [String]) throws -> Split {
        let base = folder.map { directory + "/" + $0 } ?? directory
        var entries: [Entry] = []
        for (label, className) in classes.enumerated() {
            let classFolder = base + "/" + className
            guard let walker = FileManager.default.enumerator(atPath: classFolder) else { continue }
            var files: [String] = []
            while let relative = walker.nextObject() as? String { files.append(relative) }
            for relative in files.sorted() {
                let path = classFolder + "/" + relative
                var info = stat()
                guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                entries.append(Entry(path: path, label: label, size: Int(info.st_size),
                                     modified: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)))
            }
        }
        let strays = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).filter { name in
            var info = stat()
            return !name.hasPrefix(".") && stat(base + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        }.count
        return Split(name: name, entries: entries, strays: strays)
    }

    /// Decodes every file, in order: the first image's size is the folder's unless `--resize` gives one; grey
    /// images become RGB where the folder also holds colour.
    private func decode(_ splits: [Split], classNames: [String]) throws -> ImageCache.Contents {
        var images: [[PlanarImage]] = [], labels: [[UInt8]] = []
        var formats: [String: Int] = [:], ignored = splits.map(\.strays).reduce(0, +), skipped: [String] = [], resized = 0
        var size = options.resize, first = ""
        for split in splits {
            var splitImages: [PlanarImage] = [], splitLabels: [UInt8] = []
            for entry in split.entries {
                let bytes: [UInt8]
                do { bytes = try FileBytes.contents(of: entry.path, limit: Self.fileLimit) } catch {
                    throw DataError.unreadable(entry.path, reason: error.reason)
                }
                guard PlanarImage.isImage(bytes) || Self.isNamedLikeAnImage(entry.path) else {
                    ignored += 1
                    continue
                }
                var image: PlanarImage
                do {
                    guard PlanarImage.isImage(bytes) else {
                        throw DataError.invalidRequest("\(entry.path): named like an image but neither PNG nor JPEG inside")
                    }
                    image = try PlanarImage.decode(bytes, path: entry.path)
                } catch {
                    guard options.skipBad else { throw DataError.badImage("\(error)") }
                    skipped.append(entry.path)
                    continue
                }
                formats[bytes.starts(with: PNG.signature) ? "PNG" : "JPEG", default: 0] += 1
                let found = ImageSize(height: image.height, width: image.width)
                if let wanted = size, found != wanted {
                    guard options.resize != nil else {
                        throw DataError.imageSizeMismatch(entry.path, size: "\(found)", expected: "\(wanted)", first: first)
                    }
                    image = image.resized(width: wanted.width, height: wanted.height)
                    resized += 1
                }
                if size == nil { (size, first) = (found, entry.path) }
                splitImages.append(image)
                splitLabels.append(UInt8(entry.label))
            }
            images.append(splitImages)
            labels.append(splitLabels)
        }
        let colour = images.joined().contains { $0.channels == 3 }
        let grey = colour ? images.joined().filter { $0.channels == 1 }.count : 0
        var notes: [String] = []
        if ignored > 0 {
            notes.append("ignored \(ignored) file\(ignored == 1 ? " that is not a PNG or JPEG image" : "s that are not PNG or JPEG images")")
        }
        if !skipped.isEmpty {
            notes.append("skipped \(skipped.count) unreadable image\(skipped.count == 1 ? "" : "s") (--skip-bad): "
                + skipped.prefix(3).joined(separator: ", ") + (skipped.count > 3 ? ", …" : ""))
        }
        if grey > 0 { notes.append("converted \(grey) grey image\(grey == 1 ? "" : "s") to RGB: the folder mixes grey and colour") }
        if resized > 0, let size { notes.append("resized \(resized) image\(resized == 1 ? "" : "s") to \(size) (--resize)") }
        return ImageCache.Contents(
            channels: colour ? 3 : 1, rows: size?.height ?? 0, columns: size?.width ?? 0,
            splits: zip(splits, zip(images, labels)).map { split, decoded in
                ImageCache.Split(name: split.name, images: DataBytes(decoded.0.flatMap { colour ? $0.rgb().pixels : $0.pixels }),
                                 labels: decoded.1)
            },
            formats: formats, notes: notes)
    }

    /// The largest image file read: far beyond any training image, a bound on what a stray file costs.
    static let fileLimit = 256 << 20

    /// A file named `.png`, `.jpg` or `.jpeg` is meant as an image: if it does not decode, it is corrupt, not ignored.
    static func isNamedLikeAnImage(_ path: String) -> Bool {
        ["png", "jpg", "jpeg"].contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    /// The visible folders directly in `path`, sorted (hidden ones, such as `.ipynb_checkpoints`, are not classes).
    static func subfolders(_ path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { name in
            var info = stat()
            return !name.hasPrefix(".") && stat(path + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
        }.sorted()
    }

    /// A seeded, stratified split: from each class, `fraction` of its images (rounded) chosen by the seed go to the
    /// test set; both keep the folder's order.
    static func split(_ all: Dataset, holdingOut fraction: Double, seed: UInt64, name: String) -> (Dataset, Dataset) {
        // A stream of its own: the model's initialization draws from the seed itself.
        var generator = SeededGenerator(seed: seed ^ 0x5EED_0F_5B11)
        var held = Set<Int>()
        for label in 0..<all.classes {
            let members = all.labels.indices.filter { Int(all.labels[$0]) == label }
            held.formUnion(members.shuffled(using: &generator).prefix(Int((Double(members.count) * fraction).rounded())))
        }
        func subset(_ indices: [Int], _ split: String) -> Dataset {
            Dataset(name: "\(name) \(split)", images: indices.flatMap { all.image($0) }, labels: indices.map { all.labels[$0] },
                    channels: all.channels, rows: all.rows, columns: all.columns, classes: all.classes)
        }
        let order = Array(all.labels.indices)
        return (subset(order.filter { !held.contains($0) }, "train"), subset(order.filter(held.contains), "test"))
    }
}
