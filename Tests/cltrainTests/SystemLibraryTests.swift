import Foundation
import Testing

/// OpenBLAS and libpng are opened when a command first needs them (issue 26): without them the binary starts,
/// OpenCL runs train, and the command that needs one stops with one line naming the file and the package.
@Suite struct SystemLibraryTests {
    let missingBLAS = ["CLTRAIN_OPENBLAS_LIBRARY": "/nonexistent/libopenblas.so.0"]

    @Test func missingOpenBLASStopsOnlyTheCPUPath() throws {
        let data = try SmallData()
        let cpu = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1"], environment: missingBLAS)
        #expect(cpu.status != 0)
        #expect(cpu.stdout.isEmpty, "the error comes before the run's header")
        #expect(cpu.error.split(separator: "\n").count == 1)
        #expect(cpu.error.contains("--cpu needs libopenblas.so.0"))
        #expect(cpu.error.contains("apt-get install libopenblas0"))
        let openCL = try Run(["train", "--data", data.path, "--epochs", "1", "--batch-size", "32"], environment: missingBLAS)
        #expect(openCL.status == 0, "\(openCL.stderr)")
        #expect(try Run(["--version"], environment: missingBLAS).status == 0)
    }

    @Test func missingLibPNGStopsOnlyPNGImages() throws {
        let data = try SmallData()
        let model = data.file("model.safetensors")
        let train = try Run(["train", "--cpu", "--data", data.path, "--epochs", "1", "--save", model])
        #expect(train.status == 0, "\(train.stderr)")
        let png = data.file("digit.png"), pgm = data.file("digit.pgm")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).write(to: URL(fileURLWithPath: png))
        try Data("P2\n2 2\n255\n0 255 255 0\n".utf8).write(to: URL(fileURLWithPath: pgm))
        let environment = ["CLTRAIN_PNG_LIBRARY": "/nonexistent/libpng16.so.16"]
        let missing = try Run(["predict", model, "--image", png], environment: environment)
        #expect(missing.status != 0)
        #expect(missing.error.split(separator: "\n").count == 1)
        #expect(missing.error.contains("a PNG image needs libpng16.so.16"), "\(missing.error)")
        #expect(missing.error.contains("apt-get install libpng16-16"))
        let other = try Run(["predict", model, "--image", pgm], environment: environment)
        #expect(other.status == 0, "\(other.stderr)")
    }
}
