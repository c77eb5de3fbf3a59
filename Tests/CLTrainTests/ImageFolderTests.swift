import Foundation
import TestFixtures
import Testing
@testable import CLTrain

/// Image folders as torchvision's ImageFolder reads them, with the behaviours issue 20 names for each kind of file.
@Suite struct ImageFolderTests {
    let folder: TemporaryFolder
    /// The decode cache lives in the test's own folder, never the user's.
    let environment: [String: String]

    init() throws {
        folder = try TemporaryFolder()
        environment = ["XDG_CACHE_HOME": folder.file("cache")]
    }

    /// A 4×3 grey PNG whose pixels all equal `value`.
    func greyPNG(_ value: UInt8, width: Int = 4, height: Int = 3) -> [UInt8] {
        ImageFileWriter.png(width: width, height: height, kind: .grey, samples: [UInt8](repeating: value, count: width * height))
    }

    func colourPNG(_ value: UInt8) -> [UInt8] {
        ImageFileWriter.png(width: 4, height: 3, kind: .rgb, samples: (0..<12).flatMap { _ in [value, 255 - value, 7] })
    }

    func load(_ options: ImageFolderOptions = ImageFolderOptions()) throws -> LoadedData {
        try DataRequest(directory: folder.file("images"), images: options).load(environment: environment)
    }

    /// The message of the error `body` throws.
    func failure(_ body: () throws -> Any) -> String {
        do { _ = try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test func trainAndValFoldersGiveSortedClassesAndIgnoreOtherFiles() throws {
        try folder.write("images/train/dog/a.png", greyPNG(10))
        try folder.write("images/train/cat/b.png", greyPNG(20))
        try folder.write("images/train/cat/deeper/c.png", greyPNG(30))
        try folder.write("images/train/cat/notes.txt", "not an image")
        try folder.write("images/train/.DS_Store", [0, 1, 2])
        try folder.write("images/val/cat/d.png", greyPNG(40))
        try folder.write("images/val/dog/e.png", greyPNG(50))
        let loaded = try load()
        #expect(loaded.kind == .folder && loaded.classNames == ["cat", "dog"])
        #expect(loaded.train.labels == [0, 0, 1] && loaded.test.labels == [0, 1])
        #expect(Array(loaded.train.images) == [UInt8](repeating: 20, count: 12) + [UInt8](repeating: 30, count: 12) + [UInt8](repeating: 10, count: 12))
        #expect(loaded.train.shape == .image(channels: 1, height: 3, width: 4))
        #expect(loaded.notes.contains("ignored 1 file that is not a PNG or JPEG image"), "\(loaded.notes)")
    }

    @Test func greyAndColourMixBecomeRGBAndJPEGIsRead() throws {
        try folder.write("images/train/a/grey.png", greyPNG(60))
        try folder.write("images/train/b/colour.png", colourPNG(200))
        try folder.write("images/train/b/photo.jpg",
                         ImageFileWriter.jpeg(width: 4, height: 3, channels: 3, samples: [UInt8](repeating: 128, count: 36)))
        try folder.write("images/test/a/grey.png", greyPNG(70))
        let loaded = try load()
        #expect(loaded.train.channels == 3 && loaded.test.channels == 3)
        #expect(Array(loaded.test.image(0)) == [UInt8](repeating: 70, count: 36), "a grey image is repeated in three planes")
        #expect(Array(loaded.train.image(1)) == [UInt8](repeating: 200, count: 12) + [UInt8](repeating: 55, count: 12) + [UInt8](repeating: 7, count: 12))
        #expect(loaded.train.image(2).allSatisfy { (125...131).contains($0) }, "the JPEG decodes near its grey 128")
        #expect(loaded.notes.contains("converted 2 grey images to RGB: the folder mixes grey and colour"), "\(loaded.notes)")
    }

    @Test func anotherSizeIsNamedOrResized() throws {
        try folder.write("images/train/a/first.png", greyPNG(80))
        let odd = try folder.write("images/train/a/second.png", greyPNG(90, width: 8, height: 6))
        try folder.write("images/test/a/third.png", greyPNG(100))
        let message = failure { try load() }
        #expect(message.hasPrefix("\(odd): the image is 6×8 but ") && message.contains("--resize H,W") && !message.contains("\n"), "\(message)")
        let resized = try load(ImageFolderOptions(resize: ImageSize(height: 2, width: 2)))
        #expect(resized.train.shape == .image(channels: 1, height: 2, width: 2))
        #expect(Array(resized.train.image(1)) == [90, 90, 90, 90])
        #expect(resized.notes.contains("resized 3 images to 2×2 (--resize)"), "\(resized.notes)")
    }

    @Test func aCorruptImageIsNamedOrSkippedAndCounted() throws {
        try folder.write("images/train/a/good.png", greyPNG(80))
        let truncated = try folder.write("images/train/a/truncated.png", Array(greyPNG(80).prefix(40)))
        try folder.write("images/test/a/good.png", greyPNG(80))
        let message = failure { try load() }
        #expect(message.hasPrefix("\(truncated): not a readable PNG") && message.contains("--skip-bad") && !message.contains("\n"), "\(message)")
        let skipped = try load(ImageFolderOptions(skipBad: true))
        #expect(skipped.train.count == 1)
        #expect(skipped.notes.contains("skipped 1 unreadable image (--skip-bad): \(truncated)"), "\(skipped.notes)")
    }

    /// A file named like an image that is not one is corrupt, not ignored: the user meant it as training data.
    @Test func textNamedLikeAnImageIsCorrupt() throws {
        try folder.write("images/train/a/good.png", greyPNG(80))
        let text = try folder.write("images/train/a/fake.jpg", "hello")
        try folder.write("images/test/a/good.png", greyPNG(80))
        let message = failure { try load() }
        #expect(message == "\(text): named like an image but neither PNG nor JPEG inside; remove it, or pass --skip-bad to leave such files out")
    }

    /// `--validation-split`: per class the rounded fraction, chosen by the seed; the same seed, the same split.
    @Test func validationSplitIsSeededAndStratified() throws {
        for i in 0..<10 { try folder.write("images/a/\(i).png", greyPNG(UInt8(i))) }
        for i in 0..<6 { try folder.write("images/b/\(i).png", greyPNG(UInt8(100 + i))) }
        let message = failure { try load() }
        #expect(message.contains("--validation-split F"), "\(message)")
        let split = try load(ImageFolderOptions(validationSplit: 0.5, splitSeed: 1))
        #expect(split.test.labelCounts == [5, 3] && split.train.labelCounts == [5, 3])
        let again = try load(ImageFolderOptions(validationSplit: 0.5, splitSeed: 1))
        #expect(again.test.images == split.test.images, "the same seed holds out the same images")
        let other = try load(ImageFolderOptions(validationSplit: 0.5, splitSeed: 2))
        #expect(other.test.images != split.test.images, "another seed holds out others")
        #expect(Set(Array(split.train.images) + Array(split.test.images)) == Set((0..<10).map(UInt8.init) + (100..<106).map(UInt8.init)))
    }

    /// The second load reads the cache; changing a file changes the key; a damaged cache file is decoded again.
    @Test func decodesOnceIntoACacheKeyedByTheFiles() throws {
        try folder.write("images/train/a/x.png", greyPNG(1))
        let changing = try folder.write("images/test/a/y.png", greyPNG(2))
        let first = try load()
        #expect(first.notes.first?.hasPrefix("decoded 2 PNG images once into ") == true, "\(first.notes)")
        let second = try load()
        #expect(second.notes.first?.hasPrefix("decoded images read from the cache") == true, "\(second.notes)")
        #expect(second.train == first.train && second.test == first.test)
        try folder.write("images/test/a/y.png", greyPNG(3))
        #expect(Array(try load().test.images) == [UInt8](repeating: 3, count: 12), "\(changing) changed, so the cache must not answer")
        let cacheFiles = try FileManager.default.contentsOfDirectory(atPath: folder.file("cache/cltrain/images"))
        for name in cacheFiles { try folder.write("cache/cltrain/images/" + name, Array("cltrain image cache 1\n".utf8) + [9, 9, 9]) }
        let repaired = try load()
        #expect(Array(repaired.test.images) == [UInt8](repeating: 3, count: 12))
        #expect(repaired.notes.first?.hasPrefix("decoded 2 PNG images once") == true, "a damaged cache is decoded again")
    }
}
