import CLTrain
import Testing

/// `--help` at any width: the model syntax's lines fit, and a wrapped line keeps its indent, so each kind's summary and
/// each preset's layer list read back whole (issue 23: their continuations fell to column 0).
@Suite struct HelpWrappingTests {
    /// `text` with each run of lines of one indent joined back into one line: what it was before wrapping, where wrapping
    /// kept the indent.
    func unwrapped(_ text: String) -> String {
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix { $0 == " " }.count
            if let last = lines.last, indent > 0, last.prefix(while: { $0 == " " }).count == indent {
                lines[lines.count - 1] += " " + line.dropFirst(indent)
            } else {
                lines.append(String(line))
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test(arguments: [40, 57, 80, 132])
    func wrappedLinesKeepTheirIndent(_ width: Int) throws {
        for command in [["train", "--help"], ["layers"]] {
            let help = try Run(command, environment: ["COLUMNS": String(width)]).stdout
            // The model syntax, from its first line to ArgumentParser's usage line (or the end).
            let start = try #require(help.range(of: "--model takes"))
            let syntax = String(help[start.lowerBound...]).components(separatedBy: "\nUSAGE:")[0]
            for line in syntax.split(separator: "\n") { #expect(line.count <= width, "\(command) at \(width): '\(line)'") }
            let text = unwrapped(syntax) + "\n"
            for preset in ModelSpec.presets {
                #expect(text.contains("\n  \(preset.name) (\(preset.recipe.description))\n      \(preset.spec)\n"), "\(command) at \(width): \(preset.name)")
            }
            for kind in LayerRegistry.kinds {
                #expect(text.contains("\n  \(kind.syntax)\n      \(kind.summary)\n"), "\(command) at \(width): \(kind.name)")
            }
        }
    }
}
