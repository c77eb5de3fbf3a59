import CLKit
import Testing
@testable import CLTrain

/// Data that does not fit the device streams in chunks (`StreamedDataset`), chosen from limits the tests inject
/// (`DataPlacement`, `CLTRAIN_DEVICE_MEMORY_LIMIT`), so the answers are the same on any machine.
@Suite struct StreamingTests {
    static let model = try! Model("flatten, linear(16), relu, linear(10)", input: .image(channels: 1, height: 28, width: 28))

    func plan(augmentation: Augmentation = .none) -> TrainingPlan {
        var plan = TrainingPlan()
        (plan.model, plan.batchSize, plan.epochs, plan.seed, plan.augmentation) = (Self.model, 16, 2, 3, augmentation)
        plan.optimizer = OptimizerConfig(learningRate: 0.05)
        return plan
    }

    /// Two epochs of SGD on PoCL give the resident run's epoch losses and test figures exactly: the training set in
    /// chunks of 3 batches (300 samples: 6 whole chunks and one of 12, whose only batch is short), the test set in
    /// chunks of one evaluation pass (2100 samples: 1024, 1024, 52). With augmentation too, whose draws are keyed by
    /// the sample's index in the dataset, not its place in a chunk. The data is read from IDX files, so the stream
    /// reads a mapped file as a real run does.
    @Test(arguments: [Augmentation.none, Augmentation(padding: 2, flip: true)])
    func streamedTrainingGivesTheResidentLosses(_ augmentation: Augmentation) throws {
        let folder = try TemporaryFolder()
        try folder.writeIDX(train: randomDataset("train", count: 300, seed: 11), test: randomDataset("test", count: 2100, seed: 12))
        let loaded = try DataRequest(directory: folder.path).load()
        let (train, test) = (loaded.train, loaded.test)
        #expect(train.images.isMapped && test.images.isMapped)
        let plan = plan(augmentation: augmentation)
        func run(_ placement: DataPlacement) throws -> (history: [EpochMetrics], streaming: StreamStatistics?) {
            let backend = try OpenCLBackend(library: KernelLibrary(context: testContext()), plan: plan, train: train, test: test,
                                            placement: placement)
            try backend.start(plan)
            let history = try Trainer(backend: backend, plan: plan, trainCount: train.count, testLabels: test.labels,
                                      reporter: .silent()).run { _ in }
            return (history, try backend.streamStatistics())
        }
        let resident = try run(.resident), streamed = try run(DataPlacement(trainChunk: 48, testChunk: 1024))
        #expect(streamed.history.map(\.trainLoss) == resident.history.map(\.trainLoss))
        #expect(streamed.history.map(\.testLoss) == resident.history.map(\.testLoss))
        #expect(streamed.history.map(\.testAccuracy) == resident.history.map(\.testAccuracy))
        #expect(resident.streaming == nil)
        // Each chunk of each epoch uploaded once, and each of the 19 steps an epoch served from one.
        let statistics = try #require(streamed.streaming)
        #expect(statistics.chunks == 14 && statistics.steps == 38 && statistics.chunkRows == 48 && statistics.chunksPerEpoch == 7)
    }

    /// Resident while the run fits the limit; past it, the training set streams in whole batches, the small test set
    /// stays resident, and the stream's estimate fits where the resident one did not. A dataset over the device's
    /// largest buffer streams whatever the total.
    @Test func placementFollowsTheLimits() throws {
        let train = randomDataset("train", count: 500, seed: 1), test = randomDataset("test", count: 20, seed: 2)
        let plan = plan()
        let resident = MemoryEstimate(plan: plan, train: train, test: test, native: false).backendBytes
        func placement(_ device: Int, allocation: UInt64 = .max) -> DataPlacement {
            DataPlacement(plan: plan, train: train, test: test, deviceBytes: UInt64(device), allocationBytes: allocation)
        }
        #expect(placement(resident) == .resident)
        let tight = placement(resident - 1)
        let chunk = try #require(tight.trainChunk)
        #expect(tight.testChunk == nil && chunk % plan.batchSize == 0 && chunk < train.count, "\(tight)")
        #expect(MemoryEstimate(plan: plan, train: train, test: test, native: false, placement: tight).backendBytes < resident - 1)
        #expect(placement(1 << 30, allocation: UInt64(train.images.count - 1)).trainChunk != nil)
    }

    /// A model that does not fit even beside one-batch chunks is refused, naming the variable that set the limit.
    @Test func aModelOverTheLimitIsRefusedNamingTheVariable() throws {
        let train = randomDataset("train", count: 100, seed: 1), test = randomDataset("test", count: 20, seed: 2)
        let limits = ComputeDevice.MemoryLimits(device: 4096, host: .max, devicePlace: "CLTRAIN_DEVICE_MEMORY_LIMIT for the test device")
        #expect { try ComputeDevice.openCL(testContext()).checkMemory(plan: plan(), train: train, test: test, limits: limits) } throws: {
            "\($0)".contains("but CLTRAIN_DEVICE_MEMORY_LIMIT for the test device is") && !"\($0)".contains("\n")
        }
    }

    /// The variable lowers the device's limit and names itself as the limit; it never raises it.
    @Test func memoryLimitVariableCapsTheDevice() throws {
        let device = ComputeDevice.openCL(try testContext())
        let capped = try device.memoryLimits(environment: [DeviceMemoryLimit.variable: "1M"])
        #expect(capped.device == 1 << 20 && capped.devicePlace?.hasPrefix("CLTRAIN_DEVICE_MEMORY_LIMIT for ") == true)
        let above = try device.memoryLimits(environment: [DeviceMemoryLimit.variable: "\(UInt64.max)"])
        #expect(above.device == (try device.memoryLimits(environment: [:])).device && above.devicePlace == nil)
    }

    @Test func memoryLimitVariableIsParsedOrRefusedNamingIt() throws {
        func limit(_ value: String) throws -> UInt64? { try DeviceMemoryLimit.bytes(environment: [DeviceMemoryLimit.variable: value]) }
        #expect(try DeviceMemoryLimit.bytes(environment: [:]) == nil)
        #expect(try limit("") == nil)
        #expect(try limit("1048576") == 1 << 20)
        #expect(try limit("512M") == 512 << 20 && limit("2g") == 2 << 30 && limit(" 64k ") == 64 << 10)
        for bad in ["abc", "0", "-5", "1.5G", "12MB", "G", "99999999999999999999", "17179869184G"] {
            #expect(throws: DeviceMemoryLimitError(value: bad), "\(bad)") { try limit(bad) }
        }
        let message = DeviceMemoryLimitError(value: "abc").description
        #expect(message.hasPrefix("CLTRAIN_DEVICE_MEMORY_LIMIT=abc: ") && !message.contains("\n"))
    }
}
