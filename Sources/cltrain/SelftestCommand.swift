import ArgumentParser
import CLKit
import CLTrain
import Foundation

struct SelftestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check every kernel on the chosen device against the CPU reference.",
        discussion: "Runs each kernel on fresh random inputs at awkward sizes, compares with its CPU twin, "
            + "prints a table and exits non-zero if any check fails. Use it to learn whether a driver computes correctly."
    )

    @OptionGroup var device: OpenCLDeviceOptions

    @Option(help: "Seed for the random inputs (default: from the clock; printed so a failure can be replayed).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Use the .cl files in this directory instead of the built-in kernels.", valueName: "dir"))
    var kernels: String?

    @Flag(help: "Check only the small sizes: for simulators such as Oclgrind, which interpret every work-item.")
    var small = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var tuning: TuningOptions

    func run() throws {
        let context = try Context(device: try device.resolve(), profiling: true, programCache: .user())
        let sources = try kernels.map { try Kernels.sources(overriddenBy: $0) } ?? Kernels.sources
        let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000) % 1_000_000
        // Tuned configurations are cached for the embedded kernels: --kernels finds none (the key holds their hash).
        let runTuning = RunTuning.load(device: context.device, enabled: tuning.tuning == .on, sources: sources)
        var (configuration, results) = try KernelChecks.runEveryVariant(context: context, sources: sources, seed: seed,
                                                                         small: small, tuning: runTuning.tuning)
        // The replay path (--step-path replay) against the queue, where the device has command buffers.
        let replay = try StepPaths.check(context: context, seed: seed)
        if let replay { results.append(replay) }
        let failed = results.filter { !$0.passed }
        if json {
            print(try SelftestReport(device: context.device.name, seed: seed, results: results).reportJSON())
        } else {
            print("Device: \(context.device.name) (\(context.device.platformName))")
            print("Kernels: \(configuration) (the other matmul variant is checked too)")
            print("Tuning:  \(runTuning.summary)" + (runTuning.tuning.isEmpty ? "" : "; its configurations are checked too"))
            print("Steps:   " + (replay == nil ? "queued (no cl_khr_command_buffer: --step-path replay is not offered)"
                                 : "queued and replayed from a command buffer (--step-path replay), checked against each other"))
            print("Seed: \(seed)  (replay with --seed \(seed))\n")
            print(SelftestReport.table(results))
            if context.timing == .wallClock {
                print("(times from the wall clock: \(context.device.name)'s profiling counters are implausible)")
            }
            print("\n\(results.count - failed.count) passed, \(failed.count) failed")
        }
        if !failed.isEmpty { throw ExitCode.failure }
    }
}
