/// `cltrain predict --images … --json`: every image's report, in the order the images were named.
public struct PredictionsReport: JSONReport {
    public let checkpoint: String
    public let predictions: [PredictReport]

    public init(checkpoint: String, predictions: [PredictReport]) { (self.checkpoint, self.predictions) = (checkpoint, predictions) }

    /// `--csv`: a header, then one row per image: its file, the predicted class and its name, each class's probability.
    public func csv() -> String {
        let names = predictions.first?.classNames ?? []
        let header = ["image", "predicted", "predicted_name"] + names.map { "p_" + $0 }
        return ([header] + predictions.map { report in
            [report.image, String(report.predicted), report.predictedName] + report.probabilities.map { String($0) }
        }).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n")
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    private func csvField(_ text: String) -> String {
        text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
