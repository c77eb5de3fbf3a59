import CLTrain
import Foundation
import Testing

/// Help, the README and `scripts/numpy-eval` name every kind the registries hold: a kind added without them fails here.
@Suite struct RegistryDocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    func text(_ path: String) throws -> String { try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8) }

    @Test func helpListsEveryLayerKindAndOptimizer() throws {
        // Help wraps at the terminal's width: compared with its runs of white space (line breaks and indents) as one space.
        func unwrapped(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        for command in [["train", "--help"], ["bench", "--help"], ["tune", "--help"], ["help", "layers"], ["layers"]] {
            let help = unwrapped(try Run(command).stdout)
            for kind in LayerRegistry.kinds {
                #expect(help.contains(kind.syntax) && help.contains(kind.summary), "\(command) lacks \(kind.syntax)")
            }
        }
        let train = unwrapped(try Run(["train", "--help"]).stdout)
        #expect(train.contains(OptimizerRegistry.names), "train --help lacks \(OptimizerRegistry.names)")
        #expect(train.contains(Schedule.syntax))
        let layers = unwrapped(try Run(["layers"]).stdout)
        for kind in OptimizerRegistry.kinds { #expect(layers.contains(kind.summary), "cltrain layers lacks \(kind.name)") }
        for kind in LossRegistry.kinds { #expect(layers.contains(kind.summary), "cltrain layers lacks \(kind.name)") }
        for preset in ModelSpec.presets {
            #expect(train.contains("\(preset.name) (\(preset.recipe.description))"), "train --help lacks \(preset.name)'s recipe")
        }
    }

    /// A preset trains with its recipe; an option overrides one setting and keeps the rest.
    @Test func presetsCarryTheirRecipe() throws {
        let data = try SmallData()
        let preset = try Run(["train", "--cpu", "--data", data.path, "--model", "lenet5", "--epochs", "1", "--no-preview"])
        #expect(preset.status == 0 && preset.stdout.contains("Optimizer: sgd lr 0.01 momentum 0.9 (preset), batch 64"), "\(preset.stdout)")
        let tuned = try Run(["train", "--cpu", "--data", data.path, "--model", "lenet5", "--lr", "0.02", "--epochs", "1", "--no-preview"])
        #expect(tuned.status == 0 && tuned.stdout.contains("Optimizer: sgd lr 0.02 momentum 0.9, batch 64"), "\(tuned.stdout)")
        let adam = try Run(["train", "--cpu", "--data", data.path, "--model", "dropout", "--epochs", "1", "--no-preview", "-q"])
        #expect(adam.status == 0, "\(adam.stderr)")
        let list = try Run(["train", "--cpu", "--data", data.path, "--model", "flatten, linear(10)", "--epochs", "1", "--no-preview"])
        #expect(list.stdout.contains("Optimizer: sgd lr 0.003, batch 64"), "\(list.stdout)")
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

    @Test(arguments: ["scripts/numpy-eval", "scripts/torch-load"])
    func scriptKnowsEveryLayerKind(_ path: String) throws {
        let script = try text(path)
        for kind in LayerRegistry.kinds {
            #expect(script.contains("name == \"\(kind.name)\""), "\(path) cannot rebuild \(kind.name)")
        }
    }
}
