import CLKit
import CLTrain
import Foundation
import Testing

/// train and bench say which matmul configurations they run: a cached tuning for the device, or the defaults.
@Suite struct TuningCommandLineTests {
    @Test func runsSayWhetherTheyUseTheCachedTuning() throws {
        let data = try SmallData()
        let device = try DeviceSelection.auto.resolve(in: OpenCL.allDevices())
        let cache = TuningCache(directory: data.file("tuning"))
        let key = TuningCache.key(device: device, configuration: .choose(for: device), sources: Kernels.sources)
        // The small data's 28×28 images through --hidden 5: the first layer's forward product, tuned by hand.
        try cache.store(Tuning(choices: [MatmulShape(kernel: "matmul_forward", rows: 32, inputs: 784, outputs: 5):
                                            MatmulChoice(.vector(width: 4, blockRows: 2, blockColumns: 2, vectors: 1))]),
                        tuned: [], forKey: key)
        let environment = ["CLTRAIN_TUNING_CACHE": cache.directory]
        let common = ["--data", data.path, "--epochs", "1", "--batch-size", "32", "--hidden", "5", "--no-preview"]
        let tuned = try Run(["train"] + common, environment: environment)
        #expect(tuned.status == 0, "\(tuned.stderr)")
        #expect(tuned.stdout.contains("Tuning:    cached (1 shapes, \(cache.path(forKey: key)))"), "\(tuned.stdout)")
        let off = try Run(["train", "--tuning", "off"] + common, environment: environment)
        #expect(off.status == 0, "\(off.stderr)")
        #expect(off.stdout.contains("Tuning:    defaults (--tuning off)"))
        let bench = try Run(["bench", "--kernels-only", "--data", data.path, "--hidden", "5"], environment: environment)
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stdout.contains("Tuning: cached (1 shapes"))
        #expect(!bench.stdout.contains("epoch"))
        let untuned = try Run(["train"] + common)
        #expect(untuned.stdout.contains("Tuning:    defaults (CLTRAIN_TUNING_CACHE=off)"))
        let bad = try Run(["train", "--tuning", "sometimes"] + common)
        #expect(bad.status != 0 && bad.stderr.contains("--tuning"))
    }
}
