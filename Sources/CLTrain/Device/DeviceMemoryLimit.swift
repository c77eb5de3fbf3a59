import Foundation

/// `CLTRAIN_DEVICE_MEMORY_LIMIT=BYTES`: the most of an OpenCL device's memory cltrain will use, below what the device
/// reports, for sharing a GPU with other work (and for tests, which force streaming with it). A run whose data does
/// not fit under it streams the data (`DataPlacement`); one whose model does not fit is refused, naming it.
public enum DeviceMemoryLimit {
    public static let variable = "CLTRAIN_DEVICE_MEMORY_LIMIT"

    /// The limit the environment sets, nil where the variable is unset or empty. A number of bytes, or of KiB, MiB or
    /// GiB with a `K`, `M` or `G` suffix (`512M`, `2G`); anything else, or zero, is refused naming the variable.
    public static func bytes(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> UInt64? {
        guard let value = environment[variable], !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let text = value.trimmingCharacters(in: .whitespaces).uppercased()
        let shifts: [Character: UInt64] = ["K": 10, "M": 20, "G": 30]
        let shift = text.last.flatMap { shifts[$0] } ?? 0
        let digits = shift == 0 ? Substring(text) : text.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt64(digits), number > 0,
              number <= UInt64.max >> shift else {
            throw DeviceMemoryLimitError(value: value)
        }
        return number << shift
    }
}

public struct DeviceMemoryLimitError: Error, CustomStringConvertible, Equatable {
    public let value: String

    public var description: String {
        "\(DeviceMemoryLimit.variable)=\(value): expected a number of bytes above zero, optionally with K, M or G "
            + "(e.g. 2147483648 or 2G); set one or unset it"
    }
}
