import ArgumentParser
import CLTrain
import Foundation

/// `--device` alone, for commands that need OpenCL (selftest).
struct OpenCLDeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "OpenCL device: auto (first GPU, else first device), N, P:D, or part of its name. Default: $CLTRAIN_DEVICE, else auto.",
        valueName: "device"))
    var device: String?

    func validate() throws { _ = try selection() }

    /// The selection from `--device`, else `CLTRAIN_DEVICE`, else auto.
    func selection() throws -> DeviceSelection {
        if let device {
            do { return try DeviceSelection(parsing: device) } catch { throw ValidationError("--device: \(error)") }
        }
        if let environment = ProcessInfo.processInfo.environment["CLTRAIN_DEVICE"] {
            do { return try DeviceSelection(parsing: environment) } catch { throw ValidationError("CLTRAIN_DEVICE: \(error)") }
        }
        return .auto
    }
}

/// `--device` and `--cpu`, shared by every command that computes.
struct DeviceOptions: ParsableArguments {
    @OptionGroup var openCL: OpenCLDeviceOptions

    @Flag(name: .long, help: "Compute on the host without OpenCL (no driver needed).")
    var cpu = false

    @Option(name: .long, help: ArgumentHelp(
        "Host threads for --cpu (OpenBLAS) and for PoCL's CPU device. (default: every core; see the README)", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if cpu && openCL.device != nil { throw ValidationError("--cpu and --device exclude each other; pass one") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
    }

    func selection() throws -> DeviceSelection { try openCL.selection() }

    /// The chosen device, opened with `--threads` applied first (PoCL reads it when OpenCL starts).
    func open() throws -> ComputeDevice {
        if let threads { HostThreads.set(threads) }
        return try ComputeDevice.open(try selection(), cpu: cpu)
    }
}
