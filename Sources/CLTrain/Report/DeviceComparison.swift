import Foundation

/// `cltrain bench --compare`: one training epoch on the OpenCL device and one on the host (`--cpu`), and which is faster
/// on this machine: PoCL on a CPU and OpenBLAS trade places with the model and the core count.
public struct DeviceComparison: JSONReport {
    public struct Timing: Encodable, Sendable {
        public let device: String
        public let seconds: Double
        public let samplesPerSecond: Double

        public init(device: String, seconds: Double, samplesPerSecond: Double) {
            (self.device, self.seconds, self.samplesPerSecond) = (device, seconds, samplesPerSecond)
        }
    }

    public let data: String
    public let model: String
    /// The OpenCL device first, then the host.
    public let devices: [Timing]
    /// "opencl" or "cpu".
    public let faster: String
    /// How many times faster the faster one is.
    public let ratio: Double

    public init(data: String, model: String, devices: [Timing]) {
        precondition(devices.count == 2, "a comparison of the OpenCL device and the host")
        (self.data, self.model, self.devices) = (data, model, devices)
        let (openCL, host) = (devices[0].seconds, devices[1].seconds)
        faster = host < openCL ? "cpu" : "opencl"
        ratio = max(openCL, host) / max(min(openCL, host), 1e-9)
    }

    public func text() -> String {
        let width = devices.map(\.device.count).max()!
        let lines = devices.map { timing in
            timing.device.padding(toLength: width, withPad: " ", startingAt: 0)
                + String(format: "  one epoch %.2f s, %.0f samples/s", timing.seconds, timing.samplesPerSecond)
        }
        let verdict = faster == "cpu" ? "--cpu is faster here" : "the OpenCL device (\(devices[0].device)) is faster here than --cpu"
        return (["One epoch of \(model) on \(data):"] + lines
                + [String(format: "%@, %.2f× (the same epoch, the same weights)", verdict, ratio)]).joined(separator: "\n")
    }
}
