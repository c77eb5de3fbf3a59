import ArgumentParser
import CLKit
import CLTrain
import Foundation

/// `--device` and `--cpu`, shared by every command that computes.
struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "OpenCL device: auto (first GPU, else first device), N, P:D, or part of its name. Default: $CLTRAIN_DEVICE, else auto.",
        valueName: "device"))
    var device: String?

    @Flag(name: .long, help: "Compute on the host without OpenCL (no driver needed).")
    var cpu = false

    func validate() throws {
        if cpu && device != nil { throw ValidationError("--cpu and --device exclude each other; pass one") }
        _ = try selection()
    }

    /// The selection from `--device`, else `CLTRAIN_DEVICE`, else auto. `--cpu` uses no OpenCL device, so
    /// the variable is not read then: a value meant for OpenCL runs must not stop a host run.
    func selection() throws -> DeviceSelection {
        if let device {
            do { return try DeviceSelection(parsing: device) } catch { throw ValidationError("--device: \(error)") }
        }
        if !cpu, let environment = variable {
            do { return try DeviceSelection(parsing: environment) } catch { throw ValidationError("CLTRAIN_DEVICE: \(error)") }
        }
        return .auto
    }

    /// Where the options say to compute.
    func open() throws -> ComputeDevice {
        try namingTheVariable { try ComputeDevice.open(try selection(), cpu: cpu) }
    }

    /// The OpenCL device the options select.
    func resolve() throws -> Device {
        try namingTheVariable { try selection().resolve(in: OpenCL.allDevices()) }
    }

    private var variable: String? { ProcessInfo.processInfo.environment["CLTRAIN_DEVICE"] }

    /// A device the user never named on the command line must be traced to the variable that named it.
    private func namingTheVariable<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DeviceSelectionError {
            guard case .notFound = error, device == nil, let variable else { throw error }
            throw CommandError("CLTRAIN_DEVICE=\(variable): \(error)")
        }
    }
}
