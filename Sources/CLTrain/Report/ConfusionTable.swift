import Foundation

/// A confusion matrix as aligned text, with each class's recall (its accuracy: the share of its test images
/// predicted as it) and then its name, where the classes have names other than their numbers.
public enum ConfusionTable {
    public static func text(_ matrix: [[Int]], classNames: [String] = []) -> String {
        let width = max(5, (matrix.flatMap { $0 }.max() ?? 0).description.count + 1)
        func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let named = classNames.count == matrix.count && classNames != matrix.indices.map(String.init)
        var lines = ["     " + matrix.indices.map { cell("\($0)") }.joined() + "   recall" + (named ? "  class" : "")]
        for (truth, row) in matrix.enumerated() {
            let total = row.reduce(0, +)
            let recall = total == 0 ? "      -" : String(format: "%7.3f", Double(row[truth]) / Double(total))
            lines.append(cell("\(truth)") + row.map { cell("\($0)") }.joined() + "  " + recall + (named ? "  " + classNames[truth] : ""))
        }
        return lines.joined(separator: "\n")
    }
}
