import Foundation
import Testing
@testable import CLTrain

/// One test per class of hostile input in issue 11; the fuzzer (FuzzTests) covers the fresh cases.
@Suite struct HostileInputTests {
    @Test func gzipInflatesOnlyWhatTheHeaderPromises() throws {
        let folder = try TemporaryFolder()
        // A header promising 2 labels over a payload of a million: inflating must stop near the promise.
        let lying = try folder.write("train-labels-idx1-ubyte.gz", try gzipped([0, 0, 8, 1, 0, 0, 0, 2] + [UInt8](repeating: 1, count: 1_000_000)))
        #expect(throws: DataError.inflatesBeyondHeader(lying, expectedBytes: 10)) { try readBytes(lying) }
        // Without a header to go by, the injected limit holds.
        let bomb = try folder.write("bomb.gz", try gzipped([UInt8](repeating: 7, count: 3 << 20)))
        #expect { try readBytes(bomb, limit: 1 << 20) } throws: { String(describing: $0).contains("more than 1048576 bytes") }
    }

    @Test func multiMemberGzipIsOneStream() throws {
        let folder = try TemporaryFolder()
        let labels = IDX.encodeLabels(randomDataset("x", count: 40, seed: 3))
        let joined = try folder.write("l.gz", try gzipped(Array(labels[..<20])) + gzipped(Array(labels[20...])))
        #expect(try readBytes(joined) == labels)
        let padded = try folder.write("p.gz", try gzipped(labels) + [0, 0, 0, 0])
        #expect { try readBytes(padded) } throws: { String(describing: $0).contains("4 bytes after the end of the stream") }
        // Bytes past the IDX payload are refused for .gz as for raw files.
        let long = try folder.write("train-labels-idx1-ubyte.gz", try gzipped(labels) + gzipped([5]))
        #expect(throws: DataError.inflatesBeyondHeader(long, expectedBytes: labels.count)) { try readBytes(long) }
    }

    @Test func csvNeverDropsARow() throws {
        let folder = try TemporaryFolder()
        let dataset = randomDataset("x", count: 2, seed: 9)
        let rows = csv(dataset, header: false)
        let withBOM = try folder.write("bom.csv", [0xef, 0xbb, 0xbf] + Array(rows.utf8))
        #expect(try CSV.parse(readBytes(withBOM), path: withBOM).labels == dataset.labels)
        let headerAndBOM = try folder.write("h.csv", [0xef, 0xbb, 0xbf] + Array(csv(dataset, header: true).utf8))
        #expect(try CSV.parse(readBytes(headerAndBOM), path: headerAndBOM).labels == dataset.labels)
        for prefix in [" ", "+", "-"] {
            let file = try folder.write("p.csv", prefix + rows)
            #expect(throws: DataError.malformedCSV(file, line: 1, reason: "value 1 is not a number")) { try CSV.parse(readBytes(file), path: file) }
        }
        // A file of blank lines reserves nothing in proportion to them.
        let blank = try folder.write("blank.csv", String(repeating: "\n", count: 100_000))
        #expect(throws: DataError.malformedCSV(blank, line: 100_001, reason: "no data rows")) { try CSV.parse(readBytes(blank), path: blank) }
    }

    @Test func damagedIDXMagicIsNotCalledCSV() throws {
        let folder = try TemporaryFolder()
        var bytes = IDX.encodeImages(randomDataset("x", count: 1, seed: 1))
        bytes[1] = 1
        let file = try folder.write("train-images-idx3-ubyte", bytes)
        #expect(throws: DataError.unknownFormat(file, start: 0x0001_0803)) { try DataRequest(trainFile: file, testFile: file).load() }
    }

    @Test(arguments: [("lr", "-1"), ("lr", "0"), ("momentum", "1"), ("weight_decay", "-0.5"), ("eps", "0"), ("betas", "0.9,1"),
                      ("normalization_std", "0"), ("normalization_std", "nan"), ("normalization_mean", "inf"),
                      ("step", "9223372036854775807"),
                      // Issue 19: an empty or repeated argument in the stored model's layer list.
                      ("model", "linear(10,)"), ("model", "linear(5), relu, linear(10, out_features=10)"),
                      ("model", "flatten, linear(out_features=5, out_features=5), relu, linear(10)")])
    func checkpointMetadataFollowsTheOptionsRules(_ key: String, _ value: String) throws {
        let folder = try TemporaryFolder()
        let path = folder.file("m.safetensors")
        try sampleCheckpoint(mnistMLP([5]), kind: Adam.name, seed: 4).save(to: path)
        let (tensors, stored) = try SafeTensors.decode(FileBytes.contents(of: path), path: path)
        var metadata = stored
        metadata![key] = value
        try FileBytes.replace(path, with: SafeTensors.encode(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata!))
        #expect { try Checkpoint.load(from: path) } throws: { error in
            guard case let CheckpointError.badMetadata(file, badKey, _, _) = error else { return false }
            return file == path && badKey == key
        }
    }

    @Test func nonFiniteTensorsAreRefusedByName() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("m.safetensors")
        var checkpoint = sampleCheckpoint(mnistMLP([5]), kind: SGD.name, seed: 4)
        checkpoint.parameters.values[3] = .nan
        try checkpoint.save(to: path)
        #expect { try Checkpoint.load(from: path) } throws: { error in
            String(describing: error) == "\(path): tensor 0.weight holds nan at index 3; a checkpoint's values must be finite"
        }
    }

    @Test func optionsAndCheckpointsShareOneRule() throws {
        var config = OptimizerConfig(kind: Adam.name, learningRate: 0.01, momentum: 0.5)
        #expect(throws: InvalidSetting(key: "momentum", value: "0.5", expected: "0 with adam, which keeps its own momentum")) { try config.validated() }
        config.momentum = 0
        #expect(try config.validated() == config)
        #expect(InvalidSetting(key: "weight_decay", value: "", expected: "").option == "--weight-decay")
    }

    @Test func staleTemporariesOfTheTargetAreRemovedOthersKept() throws {
        let folder = try TemporaryFolder()
        let target = folder.file("m.safetensors")
        // pid 2^22 + 1 is above Linux's pid_max default: no live process; ours counts as stale too.
        try folder.write(".m.safetensors.4194305.tmp", [1])
        try folder.write(".m.safetensors.\(getpid()).tmp", [1])
        let others = [".other.safetensors.4194305.tmp", ".m.safetensors.notes.tmp", "m.safetensors.partial", ".m.safetensors.1.tmp"]
        for name in others { try folder.write(name, [2]) }
        try FileBytes.replace(target, with: [3])
        // pid 1 (init) is alive, so its file is not stale.
        #expect(Set(folder.contents) == Set(others + ["m.safetensors"]))
    }

    @Test func fetchRemovesOnlyItsOwnPartialFiles() throws {
        let folder = try TemporaryFolder()
        try folder.write("train-images-idx3-ubyte.partial", [1])
        try folder.write("notes.partial", [2])
        Fetcher.removeLeftovers(in: folder.path)
        #expect(folder.contents == ["notes.partial"])
    }

    @Test func pocLCacheFolderProblemNamesTheVariable() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("file", [1])
        let problem = try #require(DriverCache.problem(environment: ["XDG_CACHE_HOME": file]))
        #expect(problem.contains("XDG_CACHE_HOME") && problem.contains("\(file) is not a folder"))
        #expect(DriverCache.problem(environment: ["POCL_CACHE_DIR": folder.path + "/new/pocl"]) == nil)
    }

    /// Issue 19, item 11: PoCL aborts (an assertion, SIGABRT) on these before cltrain gets control back.
    @Test(arguments: ["0", "-1", "abc", "", " ", "99999999999999999999", "2147483648", "8abc", "1.5"])
    func workGroupVariablesPoCLAbortsOnAreNamed(_ value: String) throws {
        let problem = try #require(DriverVariables.problem(environment: ["POCL_MAX_WORK_GROUP_SIZE": value]))
        #expect(problem.hasPrefix("POCL_MAX_WORK_GROUP_SIZE=\(value): ") && !problem.contains("\n"))
    }

    @Test(arguments: ["1", "256", " 64", "2147483647"])
    func usableWorkGroupVariablesPass(_ value: String) {
        #expect(DriverVariables.problem(environment: ["POCL_MAX_WORK_GROUP_SIZE": value]) == nil)
        #expect(DriverVariables.problem(environment: [:]) == nil)
    }

    /// A limit the device reports after OpenCL starts (a driver that takes 4294967296 as 0, say) is named with it.
    @Test func implausibleDeviceWorkGroupLimitIsNamed() throws {
        for size in [0, -1, 1 << 40] {
            let problem = try #require(DriverVariables.problem(device: "gpu0", maxWorkGroupSize: size))
            #expect(problem.hasPrefix("gpu0 reports work-groups of at most \(size) ") && problem.contains("POCL_MAX_WORK_GROUP_SIZE"))
        }
        #expect(DriverVariables.problem(device: "gpu0", maxWorkGroupSize: 1) == nil)
        #expect(DriverVariables.problem(device: "gpu0", maxWorkGroupSize: 1024) == nil)
    }

    /// Item 12: LLVM stopped the process ("LLVM ERROR: IO failure on output stream") when PoCL's cache folder was
    /// full. The free space is injected: a folder short of room is replaced by a temporary one with a warning, and
    /// where that is short too the run stops with a message naming the variable.
    @Test func fullKernelCacheIsRedirectedOrRefused() throws {
        // Real folders, so the nearest existing part of each path is the folder itself.
        let full = try TemporaryFolder(), temporary = try TemporaryFolder()
        let environment = ["XDG_CACHE_HOME": full.path]
        func free(_ bytes: [String: UInt64]) -> (String) -> UInt64? { { path in bytes.first { path.hasPrefix($0.key) }?.value ?? 1 << 40 } }
        #expect(DriverCache.room(environment: environment, temporary: temporary.path, freeBytes: free([:])) == .enough)
        let redirected = DriverCache.room(environment: environment, temporary: temporary.path, freeBytes: free([full.path: 4096]))
        guard case .redirect(let folder, let warning) = redirected else { Issue.record("\(redirected)"); return }
        #expect(folder.hasPrefix(temporary.path + "/cltrain-pocl-") && warning.contains("\(full.path)/pocl has only 0 MiB free")
                && warning.contains("XDG_CACHE_HOME") && !warning.contains("\n"))
        let refused = DriverCache.room(environment: environment, temporary: temporary.path,
                                       freeBytes: free([full.path: 4096, temporary.path: 0]))
        guard case .none(let reason) = refused else { Issue.record("\(refused)"); return }
        #expect(reason.contains("\(full.path)/pocl") && reason.contains(temporary.path) && reason.contains("set XDG_CACHE_HOME"))
    }
}
