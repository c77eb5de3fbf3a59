import CLKit
import Foundation

/// PoCL reads its variables when the platform is first queried, and on a work-group size it cannot use
/// (`POCL_MAX_WORK_GROUP_SIZE=0`, `-1`, `abc`, or past its integer) it fails an assertion and aborts the
/// process before cltrain gets control back. These are checked before any OpenCL call, and the limit a
/// device reports afterwards before it is used, so either is one line naming the variable.
enum DriverVariables {
    /// Why a variable would make the driver abort, naming it; nil when none would.
    static func problem(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let value = environment["POCL_MAX_WORK_GROUP_SIZE"] else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit), let size = Int32(trimmed), size > 0 else {
            return "POCL_MAX_WORK_GROUP_SIZE=\(value): PoCL aborts on a work-group size that is not a whole number "
                + "from 1 to \(Int32.max); set one (e.g. 256) or unset it"
        }
        return nil
    }

    /// Why `device`'s reported work-group limit cannot be used, naming the variable that can set it; nil when it can.
    static func problem(with device: Device) -> String? {
        problem(device: device.name, maxWorkGroupSize: device.maxWorkGroupSize)
    }

    static func problem(device name: String, maxWorkGroupSize: Int) -> String? {
        guard !(1...(1 << 20)).contains(maxWorkGroupSize) else { return nil }
        return "\(name) reports work-groups of at most \(maxWorkGroupSize) work-items, which no kernel can "
            + "run with; check POCL_MAX_WORK_GROUP_SIZE (PoCL) or the driver's own setting"
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
