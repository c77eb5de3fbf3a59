/// `cltrain eval --json`: a checkpoint's loss, accuracy and confusion matrix on a test set.
public struct EvalReport: JSONReport {
    public let checkpoint: String
    /// The model as the text output names it, e.g. `784 → 128 → 64 → 10 (109386 parameters)`.
    public let model: String
    public let epoch: Int
    public let device: String
    public let data: String
    public let testSamples: Int
    public let loss: Double
    public let accuracy: Double
    public let correct: Int
    public let classNames: [String]
    /// `confusion[true class][predicted class]`: counts.
    public let confusion: [[Int]]

    public init(checkpoint: String, model: String, epoch: Int, device: String, data: String, evaluation: Evaluation,
                labels: [UInt8], classNames: [String]) {
        self.checkpoint = checkpoint
        self.model = model
        self.epoch = epoch
        self.device = device
        self.data = data
        testSamples = labels.count
        loss = evaluation.loss
        accuracy = evaluation.accuracy(labels: labels)
        correct = zip(evaluation.predictions, labels).filter { $0 == $1 }.count
        self.classNames = classNames
        confusion = evaluation.confusion(labels: labels, classes: classNames.count)
    }
}

/// `cltrain predict --json`: one image's class probabilities.
public struct PredictReport: JSONReport {
    public let checkpoint: String
    /// The image file, or `test image N`.
    public let image: String
    /// Whether the image was inverted (a dark digit on a light background) before the model saw it.
    public let inverted: Bool
    /// The true class, where known (a test-set image).
    public let label: Int?
    public let predicted: Int
    public let predictedName: String
    public let correct: Bool?
    public let probabilities: [Float]
    public let classNames: [String]

    public init(checkpoint: String, image: String, inverted: Bool, label: Int?, probabilities: [Float], classNames: [String]) {
        self.checkpoint = checkpoint
        self.image = image
        self.inverted = inverted
        self.label = label
        let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
        self.predicted = predicted
        predictedName = classNames[predicted]
        correct = label.map { $0 == predicted }
        self.probabilities = probabilities
        self.classNames = classNames
    }

    private enum CodingKeys: String, CodingKey {
        case checkpoint, image, inverted, label, predicted, predictedName, correct, probabilities, classNames
    }

    /// `label` and `correct` are written as null when unknown, so every report has the same keys.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checkpoint, forKey: .checkpoint)
        try container.encode(image, forKey: .image)
        try container.encode(inverted, forKey: .inverted)
        try container.encode(label, forKey: .label)
        try container.encode(predicted, forKey: .predicted)
        try container.encode(predictedName, forKey: .predictedName)
        try container.encode(correct, forKey: .correct)
        try container.encode(probabilities, forKey: .probabilities)
        try container.encode(classNames, forKey: .classNames)
    }
}
