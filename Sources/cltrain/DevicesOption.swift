import ArgumentParser
import CLKit
import CLTrain

/// `--devices`, for the commands that train (train, bench): several OpenCL devices of this process as replicas.
struct DevicesOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Train data-parallel on several OpenCL devices: devices as --device names them, comma-separated, or all "
            + "(every GPU, else every device). --batch-size stays the global batch.", valueName: "list"))
    var devices: String?

    func validate(with device: DeviceOptions) throws {
        if devices != nil && (device.cpu || device.openCL.device != nil) {
            throw ValidationError("--devices names every device to train on; leave out \(device.cpu ? "--cpu" : "--device")")
        }
        _ = try list()
    }

    /// `--devices` parsed: nil for `all`.
    private func list() throws -> [DeviceSelection]? {
        guard let devices, devices.lowercased() != "all" else { return nil }
        do { return try devices.split(separator: ",", omittingEmptySubsequences: false).map { try DeviceSelection(parsing: String($0)) } }
        catch { throw ValidationError("--devices: \(error)") }
    }

    /// The devices this process trains on: those of `--devices`, else the one device `device` chooses.
    func open(_ device: DeviceOptions, localRank: Int) throws -> [ComputeDevice] {
        guard devices != nil else { return [try device.open(localRank: localRank)] }
        if let threads = device.threads { HostThreads.set(threads) }
        let available = try OpenCL.allDevices()
        let chosen: [Device]
        if let list = try list() {
            chosen = try list.map { try $0.resolve(in: available) }
        } else {
            let gpus = available.filter { $0.kind == .gpu }
            chosen = gpus.isEmpty ? available : gpus
            if chosen.isEmpty { throw DeviceSelectionError.noDevices }
        }
        for (i, device) in chosen.enumerated()
        where chosen[..<i].contains(where: { $0.platformIndex == device.platformIndex && $0.index == device.index }) {
            throw CommandError("--devices names \(device.name) (\(device.platformIndex):\(device.index)) twice; name each device once")
        }
        return try chosen.map { try ComputeDevice.open($0) }
    }
}
