/// The OpenCL C sources embedded from `Kernels/*.cl` at build time, by file name without `.cl`.
public enum Kernels {
    public static var sources: [String: String] { KernelSources.all }
}
