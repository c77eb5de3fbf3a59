import Foundation
import CLKit

/// Which device computes, as the user wrote it in `--device` or `CLTRAIN_DEVICE`.
public enum DeviceSelection: Equatable, CustomStringConvertible, Sendable {
    /// The first GPU on any platform, else the first OpenCL device of any type.
    case auto
    /// The N-th device counting across all platforms in listing order.
    case index(Int)
    /// Device D of platform P.
    case platformDevice(platform: Int, device: Int)
    /// The first device whose name contains this text, ignoring case.
    case name(String)

    /// Parses `auto`, `N`, `P:D` or a name. Throws `DeviceSelectionError.invalid` for empty text or bad numbers.
    public init(parsing text: String) throws {
        let value = text.trimmingCharacters(in: .whitespaces)
        if value.isEmpty { throw DeviceSelectionError.invalid(text, "it is empty") }
        if value.lowercased() == "auto" { self = .auto; return }
        if value.allSatisfy(\.isNumber) {
            guard let index = Int(value) else { throw DeviceSelectionError.invalid(text, "the index is too large") }
            self = .index(index)
            return
        }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            guard let p = Int(parts[0]), let d = Int(parts[1]) else {
                throw DeviceSelectionError.invalid(text, "the index is too large")
            }
            self = .platformDevice(platform: p, device: d)
            return
        }
        if parts.count == 2, parts.contains(where: { $0.allSatisfy(\.isNumber) }) {
            throw DeviceSelectionError.invalid(text, "use P:D with two numbers, e.g. 0:1")
        }
        self = .name(value)
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .index(let i): return "\(i)"
        case .platformDevice(let p, let d): return "\(p):\(d)"
        case .name(let n): return n
        }
    }

    /// The device this selection names among `devices` (all platforms' devices, in listing order). `auto` takes
    /// GPU number `localRank` (modulo their number): each rank of an MPI job on one machine takes a GPU of its own.
    public func resolve(in devices: [Device], localRank: Int = 0) throws -> Device {
        let found: Device?
        switch self {
        case .auto:
            let gpus = devices.filter { $0.kind == .gpu }
            found = gpus.isEmpty ? devices.first : gpus[localRank % gpus.count]
        case .index(let i): found = devices.indices.contains(i) ? devices[i] : nil
        case .platformDevice(let p, let d): found = devices.first { $0.platformIndex == p && $0.index == d }
        case .name(let n): found = devices.first { $0.name.lowercased().contains(n.lowercased()) }
        }
        guard let found else {
            if devices.isEmpty { throw DeviceSelectionError.noDevices }
            throw DeviceSelectionError.notFound(self, available: devices)
        }
        if let problem = DriverVariables.problem(with: found) { throw DeviceSelectionError.driver(problem) }
        return found
    }
}

public enum DeviceSelectionError: Error, CustomStringConvertible, Equatable {
    case invalid(String, String)
    case noDevices
    case notFound(DeviceSelection, available: [Device])
    /// A driver setting that would abort the process, or a device limit no kernel can use (`DriverVariables`).
    case driver(String)

    public var description: String {
        switch self {
        case .invalid(let text, let why):
            return "invalid device '\(text)': \(why); use auto, N, P:D or part of a device name"
        case .noDevices:
            if let problem = DriverCache.problem() { return "no OpenCL device found: \(problem)" }
            return "no OpenCL device found; install a driver, e.g. `apt-get install pocl-opencl-icd` for the CPU "
                + "or your GPU vendor's OpenCL package, or train on the host with --cpu"
        case .driver(let problem):
            return problem
        case .notFound(let selection, let devices):
            let list = devices.enumerated().map { "  \($0.offset)  \($0.element.platformIndex):\($0.element.index)  \($0.element.name)" }
            return "no device matches '\(selection)'; available devices:\n" + list.joined(separator: "\n")
        }
    }

    public static func == (a: Self, b: Self) -> Bool { a.description == b.description }
}

extension OpenCL {
    /// Every device of every platform, in the order `cltrain devices` lists them.
    public static func allDevices() throws -> [Device] {
        try prepareDriver()
        return try platforms().flatMap { try $0.devices() }
    }

    /// Checks and settings that must come before the first OpenCL call, where PoCL would otherwise abort the
    /// process: its variables (`DriverVariables`) and the room in its cache folder (`DriverCache.room`).
    static func prepareDriver() throws {
        if let problem = DriverVariables.problem() { throw DeviceSelectionError.driver(problem) }
        try DriverCache.prepare()
    }
}
