import CLTrain
import Foundation
import Testing

/// The README's PyTorch round trip (issue 23): its Python blocks, run as written, both ways. They need torch and
/// safetensors, which CI installs (`scripts/torch-check --install`) and a laptop may lack: without them the round
/// trip is skipped, with that reason, and only the checks that need no Python run. Nothing here uses the network.
@Suite struct ReadmePythonTests {
    static let readme = try! String(contentsOf: RegistryDocumentationTests.root.appendingPathComponent("README.md"), encoding: .utf8)

    /// The fenced blocks of `language` in the README section that starts at `heading` and runs to the next heading.
    static func blocks(_ language: String, under heading: String) -> [String] {
        guard let start = readme.range(of: "\n" + heading + "\n") else { return [] }
        // Headings are "## " and "### "; the code's comments start with one "#".
        let section = readme[start.upperBound...].components(separatedBy: "\n##").first ?? ""
        return section.components(separatedBy: "```").enumerated().compactMap { index, part in
            index % 2 == 1 && part.hasPrefix(language + "\n") ? String(part.dropFirst(language.count + 1)) : nil
        }
    }

    /// `$PYTHON`, else the venv `scripts/torch-check --install` makes, where it imports torch and safetensors.
    static let python: String? = {
        let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache"
        let candidates = [ProcessInfo.processInfo.environment["PYTHON"], cache + "/cltrain/torch-venv/bin/python"].compactMap { $0 }
        return candidates.first { (try? python($0, ["-c", "import torch, safetensors"]).status) == 0 }
    }()

    static func python(_ executable: String, _ arguments: [String], in folder: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process(), pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder.map { URL(fileURLWithPath: $0) }
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// The `--init` example's spec, as the README's shell block writes it.
    static var initSpec: String? {
        blocks("", under: "### PyTorch → cltrain").joined().components(separatedBy: "--model \"").dropFirst().first?
            .components(separatedBy: "\"").first
    }

    @Test func readmeSaysHowToInstallNormalizeAndSpellTheModel() throws {
        let toPyTorch = Self.blocks("python", under: "### cltrain → PyTorch"), fromPyTorch = Self.blocks("python", under: "### PyTorch → cltrain")
        #expect(toPyTorch.count == 1 && fromPyTorch.count == 1)
        #expect(Self.readme.contains("pip install torch safetensors"))
        #expect(toPyTorch.first?.contains("normalization_mean") == true && fromPyTorch.first?.contains("transforms.Normalize((0.5,), (0.5,))") == true)
        // Without torch the blocks are still parsed, so a typo in them fails here too.
        for block in toPyTorch + fromPyTorch {
            let parsed = try Self.python("/usr/bin/env", ["python3", "-c", "import ast, sys; ast.parse(sys.argv[1])", block])
            #expect(parsed.status == 0, "\(parsed.output)")
        }
        // The shell line's --model is the Python block's nn.Sequential body, and it fits MNIST.
        let spec = try #require(Self.initSpec)
        #expect(fromPyTorch.first?.contains("nn.Sequential(\(spec))") == true, "\(spec)")
        #expect(try Model(spec, input: .image(channels: 1, height: 28, width: 28), classes: 10).parameterCount == 11_926)
    }

    @Test(.enabled(if: python != nil, "skipped: no Python here imports torch and safetensors ($PYTHON, or scripts/torch-check --install)"))
    func readmePythonRunsBothWays() throws {
        let python = try #require(Self.python), data = try SmallData()
        // cltrain → PyTorch: the block loads a checkpoint; PyTorch must then predict what `cltrain predict` does.
        let trained = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--no-preview", "-q",
                               "--model", "conv2d(3, 5, padding=2), relu, maxpool2d(2), dropout(0.1), flatten, linear(10)",
                               "--save", data.file("model.safetensors")])
        #expect(trained.status == 0, "\(trained.stderr)")
        let predicted = try Run(["predict", data.file("model.safetensors"), "--index", "0", "--data", data.path, "--json"])
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(predicted.stdout.utf8)) as? [String: Any])["predicted"]
        let check = """
            import numpy as np, torch
            images = np.fromfile("t10k-images-idx3-ubyte", dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
            print("predicted", predict(torch.from_numpy(images[:1].copy()))[0].item())
            """
        let toPyTorch = try Self.python(python, ["-c", Self.blocks("python", under: "### cltrain → PyTorch")[0] + "\n" + check], in: data.path)
        #expect(toPyTorch.status == 0 && toPyTorch.output.contains("predicted \(expected ?? "?")"), "\(toPyTorch.output)")

        // PyTorch → cltrain: the block saves a state dict, and `train --init` starts from it.
        let fromPyTorch = try Self.python(python, ["-c", Self.blocks("python", under: "### PyTorch → cltrain")[0]], in: data.path)
        #expect(fromPyTorch.status == 0, "\(fromPyTorch.output)")
        let started = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--no-preview",
                               "--init", data.file("pytorch.safetensors"), "--model", try #require(Self.initSpec)])
        #expect(started.status == 0 && started.stdout.contains("Init:      \(data.file("pytorch.safetensors"))"), "\(started.stderr)")
    }
}
