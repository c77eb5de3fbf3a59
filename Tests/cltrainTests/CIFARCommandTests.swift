import CLTrain
import Foundation
import TestFixtures
import Testing

/// CIFAR-10's binary batches as a user meets them: `data` reports them, `train` reads them, `fetch --mirror` asks
/// only the mirror and holds it to the published MD5.
@Suite struct CIFARCommandTests {
    @Test func binaryBatchesTrainAndReport() throws {
        let folder = try TemporaryCommandFolder()
        var generator = SeededGenerator(seed: 10)
        func batch(_ count: Int) -> [UInt8] {
            cifarBatch(images: (0..<(count * 3072)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                       labels: (0..<count).map { _ in UInt8.random(in: 0...9, using: &generator) })
        }
        try folder.write("cifar-10-batches-bin/data_batch_1.bin", batch(20))
        try folder.write("cifar-10-batches-bin/test_batch.bin", batch(10))
        try folder.write("cifar-10-batches-bin/batches.meta.txt", Array("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n".utf8))
        let data = try Run(["data", "--data", folder.path])
        #expect(data.status == 0 && data.stdout.hasPrefix("CIFAR-10 from ") && data.stdout.contains("train       20  3×32×32")
                && data.stdout.contains("classes: airplane, automobile"), "\(data.stdout) \(data.stderr)")
        let train = try Run(["train", "--cpu", "--data", folder.path, "--model", "flatten, linear(10)", "--epochs", "1", "-q"])
        #expect(train.status == 0 && train.stdout.contains("epoch 1/1"), "\(train.stderr)")
    }

    /// A stand-in mirror's archive is not the published one, so the fetch stops at the MD5 and writes nothing.
    @Test func fetchFromAMirrorIsHeldToThePublishedMD5() throws {
        let folder = try TemporaryCommandFolder()
        try folder.write("mirror/cifar-10-binary.tar.gz", Array("not the archive".utf8))
        let server = try LocalServer(serving: folder.file("mirror"))
        let fetch = try Run(["fetch", "--dataset", "cifar10", "--mirror", server.url], environment: ["XDG_CACHE_HOME": folder.file("cache")])
        #expect(fetch.status != 0 && fetch.error == "Error: \(server.url)cifar-10-binary.tar.gz: MD5 \(MD5.hex(Array("not the archive".utf8))) "
                + "differs from the published c32a1d4ab5d03f1284b67883e8d87530; the download is damaged or not the canonical set", "\(fetch.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("cache/cltrain/cifar10/cifar-10-batches-bin")))
    }
}
