/// A system library cltrain opens at run time (dlopen) for one path only, so the binary starts without it:
/// OpenBLAS for `--cpu`, libpng for PNG images, libturbojpeg for JPEG images. OpenCL's loader is the fourth, in COpenCL.
public struct SystemLibrary: Sendable, Equatable {
    /// The file name dlopen looks for, e.g. "libopenblas.so.0".
    public let file: String
    /// What needs it, the subject of the error: "--cpu", "a PNG image".
    public let neededBy: String
    /// The Debian/Ubuntu package that installs it.
    public let package: String
    /// The environment variable that names another file to open instead.
    public let override: String

    public static let openBLAS = SystemLibrary(file: "libopenblas.so.0", neededBy: "--cpu",
                                               package: "libopenblas0", override: "CLTRAIN_OPENBLAS_LIBRARY")
    public static let png = SystemLibrary(file: "libpng16.so.16", neededBy: "a PNG image",
                                          package: "libpng16-16", override: "CLTRAIN_PNG_LIBRARY")
    public static let jpeg = SystemLibrary(file: "libturbojpeg.so.0", neededBy: "a JPEG image",
                                           package: "libturbojpeg0", override: "CLTRAIN_JPEG_LIBRARY")

    /// Runs a bridge's loader (`dl_load_openblas`, `dl_load_png`, `dl_load_jpeg`) and turns its failure into `SystemLibraryError`.
    func load(_ loader: (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>, Int) -> Int32) throws(SystemLibraryError) {
        var reason = [CChar](repeating: 0, count: 512)
        guard loader(nil, &reason, reason.count) != 0 else { return }
        throw SystemLibraryError.missing(self, reason: String(cString: reason))
    }
}

public enum SystemLibraryError: Error, Equatable, CustomStringConvertible {
    case missing(SystemLibrary, reason: String)

    public var description: String {
        switch self {
        case .missing(let library, let reason):
            return "\(library.neededBy) needs \(library.file), which could not be loaded (\(reason)); install it with "
                + "`apt-get install \(library.package)` or name the file in \(library.override)"
        }
    }
}
