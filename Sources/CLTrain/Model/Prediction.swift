import Foundation

/// The model's answer for one image: the class probabilities the lesson's `view_classify` draws.
public struct Prediction: Sendable {
    public let pixels: [UInt8]
    /// exp of the log-softmax output, one per class; they sum to 1.
    public let probabilities: [Float]

    /// Runs one image through the network on the host: a single forward pass needs no device.
    public init(parameters: Parameters, normalization: Normalization, pixels: [UInt8]) {
        self.pixels = pixels
        let x = normalization.apply(image: pixels, channels: parameters.model.input.image?.channels ?? 1)
        probabilities = Reference.forward(parameters: parameters, x: x, rows: 1).map { $0.exp() }
    }

    public var predictedClass: Int { probabilities.indices.max { probabilities[$0] < probabilities[$1] }! }
}

private extension Float {
    func exp() -> Float { Float(Foundation.exp(Double(self))) }
}
