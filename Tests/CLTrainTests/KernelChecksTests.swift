import CLKit
import CLTrain
import Foundation
import Testing

/// PoCL's CPU device on CI; the first OpenCL device wherever the tests run.
func testContext() throws -> Context {
    let device = try #require(try OpenCL.allDevices().first, "no OpenCL device: install pocl-opencl-icd")
    return try Context(device: device, profiling: true)
}

/// A fresh seed per run, printed, so a failure can be replayed with `cltrain selftest --seed`.
func freshSeed(_ label: String) -> UInt64 {
    let seed = UInt64.random(in: 0..<1_000_000)
    print("\(label): seed \(seed)")
    return seed
}

@Suite(.serialized) struct KernelChecksTests {
    static let library = Result { try KernelLibrary(context: testContext()) }

    @Test(arguments: KernelChecks.kernels)
    func kernelMatchesItsTwin(_ kernel: String) throws {
        var checks = KernelChecks(library: try Self.library.get(), seed: freshSeed(kernel))
        let results = try checks.run(kernel)
        #expect(!results.isEmpty)
        for result in results {
            #expect(result.passed, "\(kernel) \(result.sizes): \(result.failures.joined(separator: "; "))")
        }
    }

    /// The checks must be able to fail: each mutation is a bug a kernel author could plausibly write.
    @Test(arguments: [
        ("relu_forward", "relu", "fmax(x[i], 0.0f)", "x[i]"),  // lets negatives through
        ("relu_backward", "relu", "x[i] > 0.0f ? dy[i]", "x[i] >= -1.0f ? dy[i]"),
        // off by one at the edge tile: the last output column is written one past the end
        ("matmul_forward", "matmul", "if (n < rows && o < outputs) {", "if (n < rows && o <= outputs) {"),
        // off by one at the edge tile: the last row of a partial tile is never written
        ("matmul_backward_weight", "matmul", "if (o < outputs && k < inputs)", "if (o < outputs - 1 && k < inputs)"),
        // the staged slice drops the last element of the depth
        ("matmul_backward_input", "matmul", "(m < M && k < K) ?", "(m < M && k < K - 1) ?"),
        ("log_softmax_forward", "log_softmax", "const float shift = top + log(sum);", "const float shift = log(sum);"),
        ("sgd_update", "optimizer", "g = momentum * velocity[i] + g;", "g = momentum * velocity[i];"),
        ("nll_loss", "nll", "losses[slot] = total / rows;", "losses[slot] = total / (rows + 1);"),
    ])
    func brokenKernelIsCaught(kernel: String, file: String, correct: String, broken: String) throws {
        var sources = Kernels.sources
        let original = try #require(sources[file])
        #expect(original.contains(correct), "the mutation no longer applies to \(file).cl")
        sources[file] = original.replacingOccurrences(of: correct, with: broken)
        let library = try KernelLibrary(context: testContext(), sources: sources)
        var checks = KernelChecks(library: library, seed: freshSeed("broken \(kernel)"))
        let failures = try checks.run(kernel).filter { !$0.passed }
        #expect(!failures.isEmpty, "a broken \(kernel) passed its checks")
    }
}
