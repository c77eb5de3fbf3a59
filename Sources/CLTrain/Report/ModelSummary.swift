/// A model's layers as Keras' `summary()` lists them: every layer of the spec (a ReLU that runs inside the layer
/// before it too) with its output shape per sample and its parameter count, then the totals. `--summary` prints it,
/// and a run's `Model:` block.
public enum ModelSummary {
    public static func lines(_ model: Model) -> [String] {
        var rows: [(String, String, String, String)] = [("#", "Layer", "Output shape", "Parameters")]
        var shape = model.input
        for (index, layer) in model.layers.enumerated() {
            // An absorbed ReLU has no stage of its own: its output has its input's shape, and it has no parameters.
            let stage = model.stages.first { $0.index == index }
            shape = stage?.output ?? shape
            rows.append((String(index), layer.description, shape.description, String(stage?.tensors.reduce(0) { $0 + $1.count } ?? 0)))
        }
        rows.append(("", "Total (input \(model.input))", "\(model.classes) classes", String(model.parameterCount)))
        let widths = [0, 1, 2, 3].map { column in rows.map { [$0.0, $0.1, $0.2, $0.3][column].count }.max()! }
        return rows.map { row in
            pad(row.0, widths[0], right: true) + "  " + pad(row.1, widths[1]) + "  " + pad(row.2, widths[2]) + "  "
                + pad(row.3, widths[3], right: true)
        }
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let space = String(repeating: " ", count: width - text.count)
        return right ? space + text : text + space
    }
}
