import CLKit
import Foundation

/// What `cltrain devices` shows: every platform, its devices, and which one `auto` picks.
public struct DeviceReport: JSONReport {
    public struct PlatformEntry: Encodable {
        let index: Int
        let name: String
        let vendor: String
        let version: String
        let devices: [DeviceEntry]
        /// Why the platform's devices could not be listed (a driver that fails), nil where it answered.
        let problem: String?
    }

    public struct DeviceEntry: Encodable {
        let index: Int
        let id: String
        let type: String
        let name: String
        let vendor: String
        let driver_version: String
        let opencl_c_version: String
        let compute_units: Int
        let global_memory_bytes: UInt64
        let max_work_group_size: Int
        let auto: Bool
    }

    /// Which MPI libraries this machine has, and this process's place in the job where `mpirun` started it.
    public struct MPIEntry: Encodable {
        let libraries: [Library]
        let rank: Int?, size: Int?, local_rank: Int?

        struct Library: Encodable { let flavor: String, file: String }

        init(libraries: [(flavor: MPIFlavor, file: String)], launch: MPILaunch?) {
            self.libraries = libraries.map { Library(flavor: $0.flavor.rawValue, file: $0.file) }
            (rank, size, local_rank) = (launch?.rank, launch?.size, launch?.localRank)
        }

        var line: String {
            let found = libraries.isEmpty ? "no MPI library found (apt-get install openmpi-bin or mpich to train over several processes)"
                : libraries.map { "\($0.flavor) (\($0.file))" }.joined(separator: ", ") + " found"
            guard let rank, let size else { return "MPI: \(found); not started by mpirun" }
            return "MPI: \(found); this is rank \(rank) of \(size) (local rank \(local_rank ?? rank))"
        }
    }

    public let platforms: [PlatformEntry]
    public let mpi: MPIEntry

    /// Whether there is no device to compute on at all.
    public var isEmpty: Bool { platforms.allSatisfy { $0.devices.isEmpty } }

    /// Reads every platform and device; throws when OpenCL itself cannot be loaded.
    /// - Parameter launch: the MPI launch that started this process: `auto` is marked as this rank would pick it.
    public static func current(launch: MPILaunch? = MPILaunch.detect()) throws -> DeviceReport {
        try OpenCL.prepareDriver()
        // Each device is queried once: listing it and choosing `auto` read the same list.
        // A platform that fails to list its devices is reported as such; the others still are.
        let listed = try OpenCL.platforms().map { platform in (platform, Result { try platform.devices() }) }
        let platforms = listed.map { ($0.0, (try? $0.1.get()) ?? []) }
        let problems = listed.map { entry -> String? in
            if case .failure(let error) = entry.1 { return "\(error)" }
            return nil
        }
        let chosen = try? DeviceSelection.auto.resolve(in: platforms.flatMap(\.1), localRank: launch?.localRank ?? 0)
        var flat = 0
        return DeviceReport(platforms: zip(platforms, problems).map { entry, problem in
            let (platform, devices) = entry
            return PlatformEntry(
                index: platform.index, name: platform.name, vendor: platform.vendor, version: platform.version,
                devices: devices.map { device in
                    defer { flat += 1 }
                    return DeviceEntry(
                        index: flat, id: "\(platform.index):\(device.index)", type: device.kind.rawValue,
                        name: device.name, vendor: device.vendor, driver_version: device.driverVersion,
                        opencl_c_version: device.openCLCVersion, compute_units: device.computeUnits,
                        global_memory_bytes: device.globalMemoryBytes, max_work_group_size: device.maxWorkGroupSize,
                        auto: chosen.map { $0.platformIndex == platform.index && $0.index == device.index } ?? false)
                }, problem: problem)
        }, mpi: MPIEntry(libraries: MPILaunch.installedLibraries(), launch: launch))
    }

    public func table() -> String {
        if platforms.isEmpty {
            return mpi.line + "\n" + "No OpenCL platform is installed. Install one, e.g. `apt-get install pocl-opencl-icd` for the CPU or "
                + "your GPU vendor's OpenCL driver, or train on the host with --cpu."
        }
        var lines: [String] = []
        for platform in platforms {
            lines.append("Platform \(platform.index): \(platform.name) (\(platform.vendor), \(platform.version))")
            if let problem = platform.problem {
                lines.append("  failed to list its devices (\(problem)); check this driver's installation")
            } else if platform.devices.isEmpty {
                // CL_DEVICE_NOT_FOUND: the usual answer of a GPU driver on a machine without its GPU, not a fault.
                lines.append("  no devices: this driver found no hardware it drives here")
            }
            for d in platform.devices {
                let memory = String(format: "%.1f GiB", Double(d.global_memory_bytes) / 1_073_741_824)
                lines.append("\(d.auto ? "*" : " ") \(d.index)  \(d.id)  \(d.type)  \(d.name)")
                lines.append("        vendor \(d.vendor), driver \(d.driver_version), \(d.opencl_c_version)")
                lines.append("        \(d.compute_units) compute units, \(memory) global memory, work-groups up to \(d.max_work_group_size)")
            }
        }
        lines.append("* = the device --device auto picks (first GPU, else first device; under mpirun, the local rank's GPU)")
        lines.append(mpi.line)
        return lines.joined(separator: "\n")
    }
}
