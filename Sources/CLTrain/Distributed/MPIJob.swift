import CMPI
import Foundation

/// The ranks of an MPI job, reached through the library the launcher belongs to, loaded at run time (dlopen): the
/// binary builds and runs without MPI, and only a process started by `mpirun` opens one. Start it once per process.
public final class MPIJob: Communicator {
    public let launch: MPILaunch
    /// The file opened, and the library's own version line.
    public let library: String
    public let version: String
    public var rank: Int { launch.rank }
    public var size: Int { launch.size }

    /// Opens the library of `launch`'s flavour (or `$CLTRAIN_MPI_LIBRARY`) and initializes MPI.
    public static func start(_ launch: MPILaunch, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPIJob {
        let candidates = environment["CLTRAIN_MPI_LIBRARY"].map { [$0] } ?? launch.flavor.libraries
        var reasons: [String] = []
        var opened: String?
        for file in candidates {
            var reason = [CChar](repeating: 0, count: 512)
            let flavor = launch.flavor == .openMPI ? CMPI_OPEN_MPI : CMPI_MPICH
            if cmpi_open(file, flavor, &reason, reason.count) == 0 {
                opened = file
                break
            }
            reasons.append(String(cString: reason))
        }
        guard let opened else { throw MPIError.libraryMissing(launch.flavor, reasons: reasons) }
        let status = cmpi_init()
        guard status == 0 else { throw MPIError.failed("MPI_Init", code: status) }
        guard Int(cmpi_rank()) == launch.rank, Int(cmpi_size()) == launch.size else {
            throw MPIError.mismatch(launch: launch, rank: Int(cmpi_rank()), size: Int(cmpi_size()))
        }
        let version = String(cString: cmpi_library_version()).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return MPIJob(launch: launch, library: opened, version: version.split(whereSeparator: \.isWhitespace).joined(separator: " "))
    }

    /// Runs `body` as this process's part of the MPI job that launched it, or alone (nil) where no launcher did.
    /// MPI starts first, so that a rank failing anywhere in `body` ends the whole job instead of leaving the other
    /// ranks waiting in a collective.
    public static func run(_ body: (MPIJob?) throws -> Void) throws {
        let job = try MPILaunch.detect().map { try MPIJob.start($0) }
        do {
            try body(job)
        } catch {
            if let job, job.size > 1 { job.abort("\(error)") }
            throw error
        }
        job?.finish()
    }

    private init(launch: MPILaunch, library: String, version: String) {
        self.launch = launch
        self.library = library
        self.version = version
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try check("MPI_Allreduce", values.isEmpty ? 0 : cmpi_allreduce_sum_float(values.baseAddress, Int32(values.count)))
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try check("MPI_Allreduce", values.isEmpty ? 0 : cmpi_allreduce_sum_double(values.baseAddress, Int32(values.count)))
    }

    public func maximum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try check("MPI_Allreduce", values.isEmpty ? 0 : cmpi_allreduce_max_double(values.baseAddress, Int32(values.count)))
    }

    /// Ends MPI in a rank that finished its work; every rank must call it.
    public func finish() {
        _ = cmpi_finalize()
    }

    /// Ends every rank of the job at once, after writing `message` (which names this rank) to standard error: a
    /// failed rank must not leave the others waiting in a collective for data that never comes.
    public func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data("cltrain: rank \(rank) of \(size) failed: \(message)\n".utf8))
        cmpi_abort(1)
        exit(1)
    }

    private func check(_ call: String, _ status: Int32) throws {
        guard status == 0 else { throw MPIError.failed(call, code: status) }
    }
}

public enum MPIError: Error, CustomStringConvertible {
    case libraryMissing(MPIFlavor, reasons: [String])
    case failed(String, code: Int32)
    case mismatch(launch: MPILaunch, rank: Int, size: Int)

    public var description: String {
        switch self {
        case .libraryMissing(let flavor, let reasons):
            return "this process was started by \(flavor.rawValue)'s mpirun, but no \(flavor.rawValue) library could be "
                + "loaded (\(reasons.joined(separator: "; "))); install it with `apt-get install \(flavor.packages)` "
                + "or name the file in CLTRAIN_MPI_LIBRARY"
        case .failed(let call, let code):
            return "\(call) failed with MPI error \(code)"
        case .mismatch(let launch, let rank, let size):
            return "mpirun announced rank \(launch.rank) of \(launch.size), but MPI says rank \(rank) of \(size): "
                + "the launcher and CLTRAIN_MPI_LIBRARY belong to different MPI implementations"
        }
    }
}
