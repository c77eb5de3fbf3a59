import ArgumentParser
import CLKit
import CLTrain

/// `--tuning`, shared by the commands that run kernels (train, bench, selftest).
struct TuningOptions: ParsableArguments {
    enum Setting: String, ExpressibleByArgument { case on, off }

    @Option(help: ArgumentHelp("on: use the configurations cltrain tune cached for this device, else the defaults; "
                               + "off: the defaults.", valueName: "on|off"))
    var tuning: Setting = .on

    /// What `device` runs with under this setting; OpenCL only (a `--cpu` run has nothing to tune).
    func load(for compute: ComputeDevice) -> RunTuning? {
        guard case .openCL(let context) = compute else { return nil }
        return load(for: context.device)
    }

    func load(for device: Device) -> RunTuning {
        RunTuning.load(device: device, enabled: tuning == .on)
    }
}
