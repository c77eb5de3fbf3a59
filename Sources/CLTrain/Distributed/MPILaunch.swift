import Foundation

/// The MPI implementations whose ABI cltrain's shim (CMPI) knows.
public enum MPIFlavor: String, Sendable, CaseIterable {
    case openMPI = "Open MPI"
    case mpich = "MPICH"

    /// The library files to open, first found wins: Debian's and upstream's names.
    var libraries: [String] {
        switch self {
        case .openMPI: return ["libmpi.so.40", "libmpi.so"]
        case .mpich: return ["libmpich.so.12", "libmpi.so.12", "libmpich.so"]
        }
    }

    /// The Debian/Ubuntu packages that install its launcher and library.
    var packages: String {
        switch self {
        case .openMPI: return "openmpi-bin"
        case .mpich: return "mpich"
        }
    }
}

/// What a launcher (Open MPI's or MPICH's `mpirun`) told this process through its environment, read before MPI
/// is loaded: a process that none started trains alone and never opens an MPI library.
public struct MPILaunch: Equatable, Sendable {
    public let flavor: MPIFlavor
    public let rank: Int
    public let size: Int
    /// This process's rank among the ranks on its machine: which of the machine's GPUs `--device auto` takes.
    public let localRank: Int

    /// The launch described by `environment`, or nil where no MPI launcher started this process.
    public static func detect(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> MPILaunch? {
        func number(_ name: String) -> Int? { environment[name].flatMap { Int($0) } }
        if let rank = number("OMPI_COMM_WORLD_RANK"), let size = number("OMPI_COMM_WORLD_SIZE") {
            return MPILaunch(flavor: .openMPI, rank: rank, size: size, localRank: number("OMPI_COMM_WORLD_LOCAL_RANK") ?? rank)
        }
        // MPICH's Hydra (and Intel MPI's) process manager.
        if let rank = number("PMI_RANK"), let size = number("PMI_SIZE") {
            return MPILaunch(flavor: .mpich, rank: rank, size: size, localRank: number("MPI_LOCALRANKID") ?? rank)
        }
        return nil
    }

    /// The MPI libraries this machine has, with the file each was found as: what `cltrain devices` reports.
    public static func installedLibraries() -> [(flavor: MPIFlavor, file: String)] {
        MPIFlavor.allCases.compactMap { flavor in
            for file in flavor.libraries {
                guard let handle = dlopen(file, RTLD_LAZY | RTLD_LOCAL) else { continue }
                dlclose(handle)
                return (flavor, file)
            }
            return nil
        }
    }
}
