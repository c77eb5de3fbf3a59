/// What one epoch achieved; `--metrics FILE` gets one `jsonLine()` per epoch, so
/// `pandas.read_json(FILE, lines=True)` or `jq` reads a run while it is still going.
public struct EpochMetrics: Codable, Equatable, Sendable {
    /// 1-based.
    public var epoch: Int
    /// Mean of the epoch's batch losses.
    public var trainLoss: Double
    public var testLoss: Double
    /// Fraction of the test set classified correctly, 0...1.
    public var testAccuracy: Double
    /// Wall-clock time of the epoch, training and evaluation together.
    public var seconds: Double
    /// Training samples per second.
    public var samplesPerSecond: Double
    /// The learning rate of the epoch's last update; nil in histories written before it was kept.
    public var learningRate: Double?

    public init(epoch: Int, trainLoss: Double, testLoss: Double, testAccuracy: Double, seconds: Double, samplesPerSecond: Double,
                learningRate: Double? = nil) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.seconds = seconds
        self.samplesPerSecond = samplesPerSecond
        self.learningRate = learningRate
    }

    enum CodingKeys: String, CodingKey {
        case epoch
        case trainLoss = "train_loss"
        case testLoss = "test_loss"
        case testAccuracy = "test_accuracy"
        case seconds
        case samplesPerSecond = "samples_per_second"
        case learningRate = "lr"
    }

    /// A diverged run's loss is NaN, which JSON cannot hold: it is written as null and read back as NaN,
    /// so the metrics file stays valid JSON exactly when it matters most.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func number(_ key: CodingKeys) throws -> Double {
            try container.decodeNil(forKey: key) ? .nan : container.decode(Double.self, forKey: key)
        }
        self.init(epoch: try container.decode(Int.self, forKey: .epoch), trainLoss: try number(.trainLoss),
                  testLoss: try number(.testLoss), testAccuracy: try number(.testAccuracy),
                  seconds: try number(.seconds), samplesPerSecond: try number(.samplesPerSecond),
                  learningRate: container.contains(.learningRate) ? try number(.learningRate) : nil)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epoch, forKey: .epoch)
        for (key, value) in numbers {
            if value.isFinite { try container.encode(value, forKey: key) } else { try container.encodeNil(forKey: key) }
        }
    }

    /// One JSON object without a line break, keys in declaration order (JSONEncoder's order is unspecified).
    public func jsonLine() -> String {
        let fields = ["\"\(CodingKeys.epoch.rawValue)\": \(epoch)"]
            + numbers.map { "\"\($0.key.rawValue)\": \($0.value.isFinite ? String($0.value) : "null")" }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    private var numbers: [(key: CodingKeys, value: Double)] {
        [(.trainLoss, trainLoss), (.testLoss, testLoss), (.testAccuracy, testAccuracy),
         (.seconds, seconds), (.samplesPerSecond, samplesPerSecond)] + (learningRate.map { [(.learningRate, $0)] } ?? [])
    }
}
