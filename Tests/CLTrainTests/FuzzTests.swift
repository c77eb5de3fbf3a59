import Foundation
import TestFixtures
import Testing
@testable import CLTrain

/// The quick mode of the fuzzer (`scripts/fuzz` is the long one, on the binary): mutates small seed files of
/// every input format cltrain reads and runs the readers in-process on each. Every case must end in success or a
/// one-line error naming the file: no trap (it would end the test run), no memory growth beyond a bound, and
/// no file other than the mutated one changed. Replay a failure with `CLTRAIN_TEST_SEED=<seed>`.
@Suite struct FuzzTests {
    /// Each format: a seed file's name, its bytes, the offsets of its header's size fields, and how it is read.
    struct Format {
        let name: String
        let seed: [UInt8]
        /// Offsets and widths (4 big-endian: IDX; 8 little-endian: safetensors) of fields a lie can target.
        let fields: [(offset: Int, width: Int, bigEndian: Bool)]
        let read: (String) throws -> Void
    }

    static let casesPerFormat = 150

    @Test func mutatedFilesGetOneLineErrorsNamingThem() throws {
        let seed = freshSeed("fuzz")
        var generator = SeededGenerator(seed: seed)
        let folder = try TemporaryFolder()
        let train = randomDataset("fuzz", count: 3, seed: seed), labelsOnly = IDX.encodeLabels(train)
        let pgm = Array("P5 28 28 255\n".utf8) + train.image(0)
        let checkpoint = folder.file("seed.safetensors")
        try sampleCheckpoint(mnistMLP([3]), kind: SGD.name, seed: seed).save(to: checkpoint)
        let checkpointed = try Checkpoint.load(from: checkpoint)
        let stateDict = SafeTensors.encode(checkpointed.model.tensors.map {
            ($0.name, SafeTensors.Tensor(shape: $0.shape, values: Array(checkpointed.parameters.values[$0.range])))
        } + [("4.num_batches_tracked", SafeTensors.Tensor(shape: [], values: [12], type: .i64))], metadata: [:])
        func data(_ path: String) throws { _ = try DataRequest(trainFile: path, testFile: path).load() }
        let library = try KernelLibrary(context: testContext())
        func decodeImage(_ path: String) throws { _ = try PlanarImage.decode(FileBytes.contents(of: path), path: path) }
        let idxFields = [(4, 4, true), (8, 4, true), (12, 4, true)]
        let formats = [
            Format(name: "train-images-idx3-ubyte", seed: IDX.encodeImages(train), fields: idxFields, read: data),
            Format(name: "train-images-idx3-ubyte.gz", seed: try gzipped(IDX.encodeImages(train)), fields: [], read: data),
            Format(name: "train-labels-idx1-ubyte", seed: labelsOnly, fields: [(4, 4, true)], read: data),
            Format(name: "train-labels-idx1-ubyte.gz", seed: try gzipped(labelsOnly), fields: [], read: data),
            Format(name: "train.csv", seed: Array(csv(train, header: true).utf8), fields: [], read: data),
            Format(name: "model.safetensors", seed: try FileBytes.contents(of: checkpoint), fields: [(0, 8, false)],
                   read: { _ = try Checkpoint.load(from: $0) }),
            // A PyTorch state dict (`train --init`): no metadata, and an I64 counter as batch norms keep.
            Format(name: "state_dict.safetensors", seed: stateDict, fields: [(0, 8, false)],
                   read: { _ = try InitialWeights(path: $0).parameters(replacing: checkpointed.parameters) }),
            Format(name: "digit.pgm", seed: pgm, fields: [], read: { _ = try PGM.read(path: $0) }),
            // Image folders' decoders: a colour PNG (its IHDR width and height as fields) and a progressive JPEG.
            Format(name: "image.png", seed: ImageFileWriter.png(width: 5, height: 4, kind: .rgb, samples: Array(train.image(0).prefix(60))),
                   fields: [(16, 4, true), (20, 4, true)], read: decodeImage),
            Format(name: "photo.jpg", seed: ImageFileWriter.jpeg(width: 8, height: 8, channels: 3, samples: Array(train.image(0).prefix(192)),
                                                                 progressive: true), fields: [], read: decodeImage),
            // An image folder's decode cache: read back whole or not at all (nil), never trusted further.
            Format(name: "images.bin", seed: try imageCacheFile(in: folder), fields: [(22, 8, false)],
                   read: { _ = ImageCache.contents(at: $0, classes: 2) }),
            // CIFAR: a batch of two records, and the fetched archive (gzip, then tar) as it is unpacked.
            Format(name: "data_batch_1.bin", seed: cifarBatch(images: (0..<(2 * 3072)).map { train.images[$0 % train.images.count] },
                                                              labels: [3, 9]),
                   fields: [], read: { _ = try CIFAR.records($0, kind: .cifar10) }),
            // The tuning cache: read whole or ignored (nil); each grid choice it holds is then held to a library's
            // limits, as a run's library holds it.
            Format(name: "tuning.json", seed: try tuningCacheFile(in: folder), fields: [], read: { path in
                for (shape, choice) in TuningCache.tuning(at: path, key: Self.tuningKey)?.grids ?? [:] {
                    _ = try? library.checkFits(choice, kernel: shape.kernel)
                }
            }),
            Format(name: "cifar-10-binary.tar.gz", seed: try gzipped(tarArchive([("cifar-10-batches-bin", nil, nil),
                                                                                 ("cifar-10-batches-bin/batches.meta.txt", Array("cat\ndog\n".utf8), nil)])),
                   fields: [], read: { path in _ = try Tar.entries(Gzip.decompress(FileBytes.contents(of: path), path: path), source: path) }),
        ]
        // Each format gets a folder holding the partner an IDX file passed alone needs, and a bystander: both
        // must stay byte-identical.
        let bystander = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for format in formats {
            let partner = format.name.contains("images") ? "train-labels-idx1-ubyte" : "train-images-idx3-ubyte"
            try folder.write(format.name + ".d/" + partner, partner == "train-labels-idx1-ubyte" ? labelsOnly : IDX.encodeImages(train))
            try folder.write(format.name + ".d/bystander.bin", bystander)
        }

        let started = Date()
        let memoryBefore = peakMemoryBytes()
        var cases = 0, accepted = 0
        for format in formats {
            let path = folder.file(format.name + ".d/" + format.name)
            for _ in 0..<Self.casesPerFormat {
                let (how, bytes) = mutate(format, using: &generator)
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                do {
                    try format.read(path)
                    accepted += 1
                } catch {
                    let message = String(describing: error)
                    #expect(message.contains(path) && !message.contains("\n"), "seed \(seed), \(format.name) \(how): \(message)")
                }
                cases += 1
            }
        }
        for format in formats {
            let partner = format.name.contains("images") ? "train-labels-idx1-ubyte" : "train-images-idx3-ubyte"
            let expected = partner == "train-labels-idx1-ubyte" ? labelsOnly : IDX.encodeImages(train)
            #expect(try FileBytes.contents(of: folder.file(format.name + ".d/" + partner)) == expected, "seed \(seed)")
            #expect(try FileBytes.contents(of: folder.file(format.name + ".d/bystander.bin")) == bystander, "seed \(seed)")
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.file(format.name + ".d")))
                    == [partner, "bystander.bin", format.name], "seed \(seed): a reader left a file behind")
        }
        // The seeds are a few KB; a reader that trusts a lying size field would reserve gigabytes.
        let grown = peakMemoryBytes() - memoryBefore
        #expect(grown < 256 << 20, "seed \(seed): peak memory grew by \(grown) bytes")
        let seconds = Date().timeIntervalSince(started)
        print("fuzz: \(cases) cases (\(accepted) accepted, \(cases - accepted) refused) in \(String(format: "%.1f", seconds)) s, seed \(seed)")
        #expect(cases >= 1000)
    }

    static let tuningKey = "a device\tits kernels"

    /// A tuning cache file with a matmul winner and a convolution's, as `TuningCache.store` writes it.
    func tuningCacheFile(in folder: TemporaryFolder) throws -> [UInt8] {
        let cache = TuningCache(directory: folder.file("tuning-seed"))
        let tuning = Tuning(choices: [MatmulShape(kernel: "matmul_forward", rows: 3, inputs: 784, outputs: 3):
                                          MatmulChoice(.vector(width: 4, blockRows: 2, blockColumns: 2, vectors: 1), group: [8, 4])],
                            grids: [GridShape(kernel: "conv2d_forward", sizes: [3, 1, 28, 28, 5, 1, 2, 28, 28, 6]):
                                        GridChoice(variant: 1, group: [2, 8, 1])])
        try cache.store(tuning, tuned: Array(tuning.choices.keys), grids: Array(tuning.grids.keys), forKey: Self.tuningKey)
        #expect(cache.tuning(forKey: Self.tuningKey) == tuning)
        return try FileBytes.contents(of: cache.path(forKey: Self.tuningKey))
    }

    /// The decode cache of a three-image folder of two classes, as `ImageFolder` writes it.
    func imageCacheFile(in folder: TemporaryFolder) throws -> [UInt8] {
        try folder.write("cache-seed/train/a/x.png", ImageFileWriter.png(width: 3, height: 2, kind: .rgb, samples: Array(0..<18)))
        try folder.write("cache-seed/train/b/y.png", ImageFileWriter.png(width: 3, height: 2, kind: .rgb, samples: Array(18..<36)))
        try folder.write("cache-seed/test/b/z.png", ImageFileWriter.png(width: 3, height: 2, kind: .rgb, samples: Array(36..<54)))
        _ = try DataRequest(directory: folder.file("cache-seed")).load(environment: ["XDG_CACHE_HOME": folder.file("cache-seed/cache")])
        let directory = folder.file("cache-seed/cache/cltrain/images")
        return try FileBytes.contents(of: directory + "/" + FileManager.default.contentsOfDirectory(atPath: directory)[0])
    }

    /// One mutation of `format.seed`, described for the failure message.
    func mutate(_ format: Format, using generator: inout SeededGenerator) -> (String, [UInt8]) {
        var bytes = format.seed
        func position(_ count: Int) -> Int {
            // Half the mutations hit the first 64 bytes, where the headers are.
            Bool.random(using: &generator) ? Int.random(in: 0..<min(64, count), using: &generator) : Int.random(in: 0..<count, using: &generator)
        }
        switch Int.random(in: 0..<7, using: &generator) {
        case 0:
            let flips = Int.random(in: 1...8, using: &generator)
            for _ in 0..<flips { bytes[position(bytes.count)] ^= 1 << UInt8.random(in: 0..<8, using: &generator) }
            return ("\(flips) bit flips", bytes)
        case 1:
            let boundaries = [0, 1, 2, 3, 4, 7, 8, 9, 12, 15, 16, 17, bytes.count / 2, bytes.count - 1]
            let length = Bool.random(using: &generator) ? boundaries.randomElement(using: &generator)! : Int.random(in: 0..<bytes.count, using: &generator)
            return ("truncated to \(length)", Array(bytes.prefix(length)))
        case 2 where !format.fields.isEmpty:
            let field = format.fields.randomElement(using: &generator)!
            let value = [0, 1, UInt64(Int32.max), UInt64(UInt32.max), UInt64(bytes.count), UInt64.max].randomElement(using: &generator)!
            for index in 0..<field.width {
                let shift = 8 * (field.bigEndian ? field.width - 1 - index : index)
                bytes[field.offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(shift))
            }
            return ("field at \(field.offset) set to \(value)", bytes)
        case 3:
            let extra = (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return ("\(extra.count) bytes appended", bytes + extra)
        case 4:
            return ("repeated", bytes + bytes)
        case 5:
            let special: [UInt8] = [0, 0xff, 0x80, 0x1f, 0x8b, UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: "\n"),
                                    UInt8(ascii: ","), UInt8(ascii: "#"), UInt8(ascii: "9")]
            let at = position(bytes.count)
            bytes[at] = special.randomElement(using: &generator)!
            return ("byte \(at) set to \(bytes[at])", bytes)
        default:
            let length = Int.random(in: 0...bytes.count, using: &generator)
            return ("bytes from \(length) removed and the rest doubled", Array(bytes.prefix(length)) + bytes)
        }
    }

    @Test func specialFilesAreRefusedByKind() throws {
        let folder = try TemporaryFolder()
        let fifo = folder.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let loop = folder.file("loop")
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        let cases: [(String, String)] = [(fifo, "FIFO"), ("/dev/zero", "character device"), (folder.path, "folder"),
                                         (loop, "symbolic links")]
        for (path, reason) in cases {
            for read in [{ _ = try DataRequest(trainFile: path, testFile: path).load() },
                         { _ = try Checkpoint.load(from: path) }, { _ = try PGM.read(path: path) }] as [() throws -> Void] {
                #expect { try read() } throws: { error in
                    let message = String(describing: error)
                    return message.contains(path) && message.contains(reason) && !message.contains("\n")
                }
            }
        }
    }
}

/// The process's peak resident memory so far.
func peakMemoryBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
