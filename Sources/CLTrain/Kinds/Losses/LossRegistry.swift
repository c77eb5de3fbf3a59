/// Every training loss: one line per kind.
public enum LossRegistry {
    public static let kinds: [any LossKind.Type] = [
        CrossEntropy.self,
    ]

    public static func kind(named name: String) -> (any LossKind.Type)? {
        kinds.first { $0.name == name }
    }
}
