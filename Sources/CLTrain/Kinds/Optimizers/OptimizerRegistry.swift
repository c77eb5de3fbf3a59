/// Every optimizer `--optimizer` can name: one line per kind.
public enum OptimizerRegistry {
    public static let kinds: [any OptimizerKind.Type] = [
        SGD.self,
        Adam.self,
        AdamW.self,
    ]

    public static func kind(named name: String) -> (any OptimizerKind.Type)? {
        kinds.first { $0.name == name }
    }

    /// "sgd, adam or adamw", for messages.
    public static var names: String {
        let all = kinds.map { $0.name }
        return all.dropLast().joined(separator: ", ") + (all.count > 1 ? " or " : "") + all.last!
    }
}
