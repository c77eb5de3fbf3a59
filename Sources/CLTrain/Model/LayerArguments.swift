/// The arguments of one layer in a spec, `conv2d(16, 5, padding=2)`: positional values, then named ones.
/// A kind takes them with `take`, which reads a positional value or else the named one, and `finish`,
/// which refuses anything left over, so every spelling PyTorch accepts works and a typo is named.
public struct LayerArguments: Sendable {
    public let layer: String
    /// Everything between the parentheses as written, for a kind whose argument is itself a layer list.
    public let source: String
    private var positional: [String]
    private var named: [(name: String, value: String)]
    private var position = 0

    init(layer: String, positional: [String], named: [(name: String, value: String)], source: String = "") {
        self.layer = layer
        self.source = source
        self.positional = positional
        self.named = named
    }

    /// The next positional argument, or the one named `name`, or `default`; an error if none and no default.
    public mutating func take<T: LosslessStringConvertible>(_ name: String, default value: T? = nil,
                                                             where valid: (T) -> Bool = { _ in true },
                                                             _ expected: String) throws -> T {
        let text: String
        if position < positional.count {
            guard !named.contains(where: { $0.name == name }) else {
                throw ModelSpecError("\(layer): \(name) is given twice, by position and by name; give it once")
            }
            text = positional[position]
            position += 1
        } else if let index = named.firstIndex(where: { $0.name == name }) {
            text = named.remove(at: index).value
        } else if let value {
            return value
        } else {
            throw ModelSpecError("\(layer) needs \(name) (\(expected))")
        }
        guard let parsed = T(text), valid(parsed) else {
            throw ModelSpecError("\(layer): \(name) must be \(expected), got '\(text)'")
        }
        return parsed
    }

    /// Refuses arguments no `take` asked for.
    public func finish() throws {
        if position < positional.count {
            throw ModelSpecError("\(layer) takes \(position) argument\(position == 1 ? "" : "s"), got '\(positional[position])' too")
        }
        if let extra = named.first { throw ModelSpecError("\(layer) has no argument '\(extra.name)'") }
    }
}

/// A spec that does not parse or does not fit the data; the message names the token or layer at fault.
public struct ModelSpecError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
