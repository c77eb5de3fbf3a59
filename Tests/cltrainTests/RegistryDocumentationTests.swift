import CLTrain
import Foundation
import Testing

/// Help, the README and `scripts/numpy-eval` name every kind the registries hold: a kind added without them fails here.
@Suite struct RegistryDocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    func text(_ path: String) throws -> String { try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8) }

    @Test func helpListsEveryLayerKindAndOptimizer() throws {
        for command in ["train", "bench"] {
            let help = try Run([command, "--help"]).stdout
            for kind in LayerRegistry.kinds {
                #expect(help.contains(kind.syntax) && help.contains(kind.summary), "\(command) --help lacks \(kind.syntax)")
            }
        }
        let train = try Run(["train", "--help"]).stdout
        #expect(train.contains(OptimizerRegistry.names), "train --help lacks \(OptimizerRegistry.names)")
        #expect(train.contains(Schedule.syntax))
    }

    @Test func readmeTablesListEveryKind() throws {
        let readme = try text("README.md")
        for kind in LayerRegistry.kinds {
            #expect(readme.contains("| `\(kind.syntax)` |"), "README's layer table lacks \(kind.syntax)")
        }
        for kind in OptimizerRegistry.kinds {
            #expect(readme.contains("| `\(kind.name)`"), "README's optimizer table lacks \(kind.name)")
        }
    }

    @Test func numpyEvalKnowsEveryLayerKind() throws {
        let script = try text("scripts/numpy-eval")
        for kind in LayerRegistry.kinds {
            #expect(script.contains("name == \"\(kind.name)\""), "scripts/numpy-eval cannot rebuild \(kind.name)")
        }
    }
}
