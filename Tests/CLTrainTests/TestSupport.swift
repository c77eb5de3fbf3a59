import CLKit
import CZlib
import Foundation
import Testing
@testable import CLTrain

/// A generator for one test's random inputs. The seed is fresh each run and printed, so a failure can be
/// replayed with `CLTRAIN_TEST_SEED=<seed> swift test --filter <test>`.
func seededGenerator(_ test: String = #function) -> SeededGenerator {
    SeededGenerator(seed: freshSeed(test))
}

/// The seed behind `seededGenerator`, for code that takes a seed (KernelChecks).
func freshSeed(_ label: String) -> UInt64 {
    let seed = ProcessInfo.processInfo.environment["CLTRAIN_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0..<1_000_000_000)
    print("\(label): seed \(seed)")
    return seed
}

func randomFloats(_ count: Int, in range: ClosedRange<Float> = -1...1, using generator: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in Float.random(in: range, using: &generator) }
}

func randomLabels(_ count: Int, classes: Int, using generator: inout SeededGenerator) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0..<UInt8(classes), using: &generator) }
}

/// Expects `|actual − expected| <= absolute + relative · |expected|` everywhere; on failure reports how many
/// elements failed, the first few with their index and both values, and the worst error.
func expectClose<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], absolute: Double, relative: Double = 0, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    var failures: [String] = []
    var worst = 0.0
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let error = abs(Double(a) - Double(e))
        worst = max(worst, error.isNaN ? .infinity : error)
        if !(error <= absolute + relative * abs(Double(e))) {
            failures.append("[\(index)] \(a) vs \(e)")
        }
    }
    #expect(failures.isEmpty, "\(what): \(failures.count) of \(actual.count) differ, worst \(worst): \(failures.prefix(5).joined(separator: ", "))",
            sourceLocation: sourceLocation)
}

/// PoCL's CPU device on CI; the first OpenCL device wherever the tests run.
func testContext() throws -> Context {
    let device = try #require(try OpenCL.allDevices().first, "no OpenCL device: install pocl-opencl-icd")
    return try Context(device: device, profiling: true, programCache: testProgramCache)
}

/// Compiled programs shared by the tests' contexts, so the many libraries the kernel and mutation tests build
/// compile each unchanged kernel file once. A temporary folder of its own, never the user's cache; entries are
/// keyed by source and driver, so one left by an earlier run is either right or ignored.
let testProgramCache = ProgramCache(directory: FileManager.default.temporaryDirectory.appendingPathComponent("cltrain-test-programs").path)

/// A fresh folder per test, removed when the value is released; tests never touch the user's cache.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cltrain-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? [] }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// The four IDX files of `train` and `test` in `subfolder`, named canonically or dotted, optionally gzipped.
    func writeIDX(train: Dataset, test: Dataset, gzip: Bool = false, dotted: Bool = false, under subfolder: String = ".") throws {
        let contents: [(IDXFile, [UInt8])] = [(.trainImages, IDX.encodeImages(train)), (.trainLabels, IDX.encodeLabels(train)),
                                              (.testImages, IDX.encodeImages(test)), (.testLabels, IDX.encodeLabels(test))]
        for (file, bytes) in contents {
            let name = dotted ? file.spellings[2] : file.rawValue
            try write(subfolder + "/" + name + (gzip ? ".gz" : ""), gzip ? try gzipped(bytes) : bytes)
        }
    }
}

/// `count` random images and labels, seeded so a failure can be replayed.
func randomDataset(_ name: String, count: Int, seed: UInt64) -> Dataset {
    var generator = SeededGenerator(seed: seed)
    let images = (0..<(count * 784)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let labels = (0..<count).map { _ in UInt8.random(in: 0...9, using: &generator) }
    return Dataset(name: name, images: images, labels: labels)
}

/// `dataset` as Kaggle-style CSV rows.
func csv(_ dataset: Dataset, header: Bool, lineEnding: String = "\n") -> String {
    var lines = header ? ["label," + (1...28).flatMap { r in (1...28).map { c in "\(r)x\(c)" } }.joined(separator: ",")] : []
    for index in 0..<dataset.count {
        lines.append(([dataset.labels[index]] + dataset.image(index)).map(String.init).joined(separator: ","))
    }
    return lines.joined(separator: lineEnding) + lineEnding
}

/// gzip-compresses `bytes` with zlib (windowBits 15 + 16 selects the gzip wrapper).
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                        zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw GzipTestError() }
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
    var input = bytes
    let status = input.withUnsafeMutableBufferPointer { inputBuffer in
        output.withUnsafeMutableBufferPointer { outputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            stream.next_out = outputBuffer.baseAddress
            stream.avail_out = UInt32(outputBuffer.count)
            return deflate(&stream, Z_FINISH)
        }
    }
    guard status == Z_STREAM_END else { throw GzipTestError() }
    return Array(output[..<Int(stream.total_out)])
}

struct GzipTestError: Error {}

/// A plain MLP of these widths, input first, classes last, reading flat vectors.
func mlp(_ sizes: [Int]) -> Model {
    try! Model(ModelSpec.mlp(hidden: Array(sizes.dropFirst().dropLast()), classes: sizes.last!), input: .flat(sizes[0]))
}

/// `count` random images of `rows` × `columns` with labels below `classes`, drawn from `generator`.
func randomImages(_ name: String, count: Int, rows: Int, columns: Int, classes: Int,
                  using generator: inout SeededGenerator) -> Dataset {
    Dataset(name: name, images: (0..<(count * rows * columns)).map { _ in UInt8.random(in: 0...255, using: &generator) },
            labels: randomLabels(count, classes: classes, using: &generator), rows: rows, columns: columns)
}
