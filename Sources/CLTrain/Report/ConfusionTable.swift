import Foundation

/// A confusion matrix as aligned text, with each class's recall in the last column.
public enum ConfusionTable {
    public static func text(_ matrix: [[Int]]) -> String {
        let width = max(5, (matrix.flatMap { $0 }.max() ?? 0).description.count + 1)
        func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        var lines = ["     " + matrix.indices.map { cell("\($0)") }.joined() + "   recall"]
        for (truth, row) in matrix.enumerated() {
            let total = row.reduce(0, +)
            let recall = total == 0 ? "      -" : String(format: "%7.3f", Double(row[truth]) / Double(total))
            lines.append(cell("\(truth)") + row.map { cell("\($0)") }.joined() + "  " + recall)
        }
        return lines.joined(separator: "\n")
    }
}
