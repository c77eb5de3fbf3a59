import Testing
@testable import CLTrain

@Suite struct NormalizationTests {
    @Test func parsesTheThreeSpellings() throws {
        #expect(try NormalizationChoice(parsing: "auto") == .auto)
        #expect(try NormalizationChoice(parsing: "0.5,0.5") == .fixed(.lesson))
        #expect(try NormalizationChoice(parsing: "0.4914,0.4822,0.4465/0.247, 0.2435, 0.2616")
                == .fixed(Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616])))
    }

    @Test(arguments: ["", "0.5", "0.5,0.5,0.5", "1,2/3", "0.1/0.2/0.3", "0.5,0", "0.5,-1", "a,b", "0.1,0.2/0.3,nan", "auto,1"])
    func refusesMalformedValues(_ text: String) {
        #expect(throws: InvalidSetting.self) { try NormalizationChoice(parsing: text) }
    }

    /// Channel 0 alternates 0 and 255 (mean 0.5, std 0.5), channel 1 is constant 51 (mean 0.2, std 0 → 1 so it
    /// maps to 0 instead of dividing by zero).
    @Test func autoMeasuresEachChannel() throws {
        let images: [UInt8] = [0, 255, 0, 255, 51, 51, 51, 51, 255, 0, 255, 0, 51, 51, 51, 51]
        let data = Dataset(name: "two", images: images, labels: [0, 1], channels: 2, rows: 2, columns: 2)
        let measured = try NormalizationChoice.auto.resolved(for: data)
        expectClose(measured.mean, [0.5, 0.2], absolute: 1e-6, "means")
        expectClose(measured.std, [0.5, 1], absolute: 1e-6, "stds")
        #expect(measured.apply(51, channel: 1) == 0)
    }

    /// `auto` is measured once per training set: a second run on data of the same identity reads the cached values
    /// (shown here by changed pixels under the same identity), another identity is measured afresh, and a damaged
    /// cache file is measured over and replaced.
    @Test func autoIsMeasuredOnceAndCached() throws {
        let folder = try TemporaryFolder()
        let environment = ["XDG_CACHE_HOME": folder.path]
        func data(_ value: UInt8) -> Dataset { Dataset(name: "flat", images: [UInt8](repeating: value, count: 8), labels: [0, 1], rows: 2, columns: 2) }
        func auto(_ dataset: Dataset, identity: String) throws -> Normalization {
            try NormalizationChoice.auto.resolved(for: dataset, identity: identity, environment: environment)
        }
        let first = try auto(data(51), identity: "files a")
        expectClose(first.mean, [0.2], absolute: 1e-6, "measured mean")
        #expect(try auto(data(102), identity: "files a") == first, "the same identity reads the cache")
        expectClose(try auto(data(102), identity: "files b").mean, [0.4], absolute: 1e-6, "another identity is measured")
        let cached = NormalizationCache(identity: "files a", train: data(51), environment: environment).path
        _ = try folder.write(String(cached.dropFirst(folder.path.count + 1)), "{\"mean\": [0.2], \"std\": [0]}")
        expectClose(try auto(data(102), identity: "files a").mean, [0.4], absolute: 1e-6, "a std of 0 in the cache is measured over")
        #expect(try auto(data(51), identity: "files a").mean == [Float(0.4)], "and replaced")
    }

    @Test func refusesValuesForAnotherNumberOfChannels() throws {
        let grey = Dataset(name: "grey", images: [1, 2, 3, 4], labels: [0], channels: 1, rows: 2, columns: 2)
        let three = Normalization(mean: [0.1, 0.2, 0.3], std: [0.5, 0.5, 0.5])
        #expect(throws: InvalidSetting.self) { try NormalizationChoice.fixed(three).resolved(for: grey) }
        #expect(try NormalizationChoice.fixed(.lesson).resolved(for: grey) == .lesson)
    }

    /// Both backends evaluate a 3-channel model with each channel's own values as the reference does.
    @Test(arguments: ["OpenCL", "native"])
    func backendsNormalizeEachChannel(_ backendName: String) throws {
        var generator = seededGenerator()
        let model = try Model("flatten, linear(4)", input: .image(channels: 3, height: 5, width: 3))
        let test = Dataset(name: "test", images: (0..<(21 * 45)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                           labels: randomLabels(21, classes: 4, using: &generator), channels: 3, rows: 5, columns: 3)
        var plan = TrainingPlan()
        plan.model = model
        plan.normalization = Normalization(mean: [0.1, 0.5, 0.9], std: [0.2, 0.3, 0.05])
        let parameters = Parameters(initializing: model, using: &generator)
        let backend: any TrainingBackend = backendName == "native"
            ? try NativeBackend(plan: plan, train: test, test: test)
            : try OpenCLBackend(library: KernelLibrary(context: testContext()), plan: plan, train: test, test: test)
        try backend.load(parameters, OptimizerState())
        let evaluation = try backend.evaluate()
        let x = Reference.gatherNormalize(images: Array(test.images), order: (0..<21).map { $0 }, offset: 0, rows: 21, features: 45,
                                          channels: 3, normalization: plan.normalization)
        let logp = Reference.forward(parameters: parameters, x: x, rows: 21)
        // A mean of 21 losses, each a dot product of 45 terms summed in another order: a few ulps.
        expectClose([evaluation.loss], [Reference.nllLoss(logProbabilities: logp, labels: test.labels, rows: 21, classes: 4)],
                    absolute: 1e-5, relative: 1e-5, "test loss")
        // One mean for every channel gives another loss, so the check above can tell the two apart.
        let pooled = Reference.gatherNormalize(images: Array(test.images), order: (0..<21).map { $0 }, offset: 0, rows: 21, features: 45,
                                               normalization: Normalization(mean: 0.5, std: 0.3))
        #expect(pooled != x)
    }
}
