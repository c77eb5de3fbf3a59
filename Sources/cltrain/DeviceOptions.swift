import ArgumentParser
import CLKit
import CLTrain
import Foundation

/// `--device` alone, for commands that need OpenCL (selftest).
struct OpenCLDeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "OpenCL device: auto (first GPU, else first device), N, P:D, or part of its name. Default: $CLTRAIN_DEVICE, else auto.",
        valueName: "device"))
    var device: String?

    /// Only `--device` is checked here: `CLTRAIN_DEVICE` is read when an OpenCL device is opened, so a value
    /// meant for OpenCL runs never stops a `--cpu` run.
    func validate() throws {
        if let device {
            do { _ = try DeviceSelection(parsing: device) } catch { throw ValidationError("--device: \(error)") }
        }
    }

    /// The selection from `--device`, else `CLTRAIN_DEVICE`, else auto.
    func selection() throws -> DeviceSelection {
        if let device {
            do { return try DeviceSelection(parsing: device) } catch { throw ValidationError("--device: \(error)") }
        }
        if let variable {
            do { return try DeviceSelection(parsing: variable) } catch { throw CommandError("CLTRAIN_DEVICE=\(variable): \(error)") }
        }
        return .auto
    }

    /// The OpenCL device the options select; `auto` takes GPU number `localRank` where an MPI job's ranks share a machine.
    func resolve(localRank: Int = 0) throws -> Device {
        try namingTheVariable { try selection().resolve(in: OpenCL.allDevices(), localRank: localRank) }
    }

    private var variable: String? { ProcessInfo.processInfo.environment["CLTRAIN_DEVICE"] }

    /// A device the user never named on the command line must be traced to the variable that named it.
    func namingTheVariable<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DeviceSelectionError {
            guard case .notFound = error, device == nil, let variable else { throw error }
            throw CommandError("CLTRAIN_DEVICE=\(variable): \(error)")
        }
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

    /// The chosen device, opened with `--threads` applied first (PoCL reads it when OpenCL starts). `--cpu`
    /// touches no OpenCL and reads no `CLTRAIN_DEVICE`.
    func open(localRank: Int = 0) throws -> ComputeDevice {
        if let threads { HostThreads.set(threads) }
        if cpu { return try ComputeDevice.host() }
        return try ComputeDevice.open(openCL.resolve(localRank: localRank))
    }
}
