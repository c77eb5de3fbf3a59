import Foundation
import Testing
@testable import CLTrain

@Suite struct AugmentationTests {
    @Test func parsesItsSpellings() throws {
        #expect(try Augmentation(parsing: "crop=4,flip") == Augmentation(padding: 4, flip: true))
        #expect(try Augmentation(parsing: "flip") == Augmentation(flip: true))
        #expect(try Augmentation(parsing: "crop=2") == Augmentation(padding: 2))
        #expect(try Augmentation(parsing: "none").isNone)
        #expect(Augmentation(padding: 4, flip: true).description == "crop=4,flip")
        for bad in ["", "crop=0", "crop=65", "crop=", "flip,flip", "crop=4,crop=2", "rotate", "crop=4,"] {
            #expect(throws: InvalidSetting.self, "\(bad)") { try Augmentation(parsing: bad) }
        }
    }

    /// The twin against torchvision's recipe written out independently: pad with zeros, crop at the drawn
    /// corner, then mirror; over many samples, every offset and both flips occur.
    @Test func twinIsPadCropThenFlip() {
        let (channels, height, width, padding) = (2, 3, 4, 2)
        let images = (0..<(5 * channels * height * width)).map { UInt8(($0 * 37 + 11) % 256) }
        let augmentation = Augmentation(padding: padding, flip: true), seed: UInt64 = 42
        var offsets = Set<Int>(), flips = Set<Bool>()
        for epoch in 1...40 {
            let x = Reference.gatherAugment(images: images, order: [3, 0, 4, 1, 2], offset: 1, rows: 3, channels: channels, height: height,
                                            width: width, normalization: .lesson, augmentation: augmentation, seed: seed, epoch: epoch)
            for (r, sample) in [0, 4, 1].enumerated() {
                let (dy, dx, mirrored) = augmentation.draw(sample: sample, epoch: epoch, seed: seed)
                offsets.insert(dy)
                flips.insert(mirrored)
                let paddedHeight = height + 2 * padding, paddedWidth = width + 2 * padding
                var padded = [UInt8](repeating: 0, count: channels * paddedHeight * paddedWidth)
                for c in 0..<channels {
                    for y in 0..<height {
                        for col in 0..<width {
                            padded[(c * paddedHeight + y + padding) * paddedWidth + col + padding] =
                                images[((sample * channels + c) * height + y) * width + col]
                        }
                    }
                }
                var expected: [Float] = []
                for c in 0..<channels {
                    for y in 0..<height {
                        let line = (0..<width).map { padded[(c * paddedHeight + y + dy + padding) * paddedWidth + $0 + dx + padding] }
                        expected += (mirrored ? line.reversed() : line).map { Normalization.lesson.apply($0) }
                    }
                }
                let features = channels * height * width
                #expect(Array(x[(r * features)..<((r + 1) * features)]) == expected, "epoch \(epoch), sample \(sample)")
            }
        }
        #expect(offsets == Set(-padding...padding) && flips == [false, true])
    }

    /// Both backends train the same epochs with `crop=2,flip` (plain SGD), and the losses differ from a run without it.
    @Test func backendsTrainAlikeAndAugmentationChangesTheRun() throws {
        var generator = SeededGenerator(seed: 3)
        let model = try Model("flatten, linear(12), relu, linear(4)", input: .image(channels: 3, height: 6, width: 5))
        func data(_ count: Int) -> Dataset {
            Dataset(name: "colour", images: (0..<(count * 90)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                    labels: (0..<count).map { _ in UInt8.random(in: 0...3, using: &generator) }, channels: 3, rows: 6, columns: 5)
        }
        let (train, test) = (data(40), data(10))
        func losses(native: Bool, augmentation: Augmentation) throws -> [Float] {
            var plan = TrainingPlan()
            (plan.model, plan.batchSize, plan.epochs, plan.seed, plan.augmentation) = (model, 8, 2, 5, augmentation)
            plan.optimizer = OptimizerConfig(learningRate: 0.05)
            var initial = SeededGenerator(seed: 9)
            let backend: any TrainingBackend = native ? try NativeBackend(plan: plan, train: train, test: test)
                : try OpenCLBackend(library: KernelLibrary(context: testContext()), plan: plan, train: train, test: test)
            try backend.load(Parameters(initializing: model, using: &initial), OptimizerState(fresh: plan.optimizer, parameterCount: model.parameterCount))
            let trainer = Trainer(backend: backend, plan: plan, trainCount: train.count, testLabels: test.labels, reporter: .silent())
            return try trainer.run { _ in }.map(\.trainLoss).map(Float.init)
        }
        let augmented = Augmentation(padding: 2, flip: true)
        let openCL = try losses(native: false, augmentation: augmented), native = try losses(native: true, augmentation: augmented)
        expectClose(openCL, native, absolute: 1e-3, "epoch losses, PoCL against --cpu")
        let plain = try losses(native: true, augmentation: .none)
        #expect(zip(plain, native).allSatisfy { abs($0 - $1) > 1e-4 }, "augmentation must change the run: \(plain) vs \(native)")
    }
}
