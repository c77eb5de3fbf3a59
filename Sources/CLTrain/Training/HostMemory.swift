import Foundation

/// How much more memory this process may use, from every place that limits it: the host's available memory,
/// the address-space and data limits (`ulimit -v`, RLIMIT_AS and RLIMIT_DATA, less what the process maps
/// already) and the memory.max of its cgroup and their parents (less what they use). A run checked only against
/// the first passed under a lower limit and then died in an allocation.
public enum HostMemory {
    /// What the process reads to find its limits; tests inject their own.
    public struct Sources {
        public var meminfo: String?
        /// /proc/self/status, for VmSize and VmData.
        public var status: String?
        /// RLIMIT_AS and RLIMIT_DATA in bytes; nil where unlimited.
        public var addressSpaceLimit: UInt64?
        public var dataLimit: UInt64?
        /// memory.max and memory.current of the process's cgroup and each parent, innermost first.
        public var cgroups: [(max: String?, current: String?)]

        public init(meminfo: String?, status: String?, addressSpaceLimit: UInt64? = nil, dataLimit: UInt64? = nil,
                    cgroups: [(max: String?, current: String?)] = []) {
            (self.meminfo, self.status, self.addressSpaceLimit, self.dataLimit, self.cgroups)
                = (meminfo, status, addressSpaceLimit, dataLimit, cgroups)
        }

        /// This process's.
        public static var current: Sources {
            func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
            func limit(_ resource: __rlimit_resource_t) -> UInt64? {
                var value = rlimit()
                guard getrlimit(resource, &value) == 0, value.rlim_cur != rlim_t.max else { return nil }
                return UInt64(value.rlim_cur)
            }
            // cgroup v2: one line "0::/path"; v1 keeps no memory.max and is left to the other limits.
            var cgroups: [(max: String?, current: String?)] = []
            if let line = read("/proc/self/cgroup")?.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) {
                var path = String(line.dropFirst(3))
                while true {
                    let folder = "/sys/fs/cgroup" + (path == "/" ? "" : path)
                    cgroups.append((read(folder + "/memory.max"), read(folder + "/memory.current")))
                    if path == "/" || path.isEmpty { break }
                    path = (path as NSString).deletingLastPathComponent
                }
            }
            return Sources(meminfo: read("/proc/meminfo"), status: read("/proc/self/status"),
                           addressSpaceLimit: limit(Int32(RLIMIT_AS.rawValue)), dataLimit: limit(Int32(RLIMIT_DATA.rawValue)),
                           cgroups: cgroups)
        }
    }

    /// The smallest of the limits and the words that name it in a refusal.
    public static func limit(_ sources: Sources = .current) -> (bytes: UInt64, place: String) {
        var smallest = (bytes: MemoryEstimate.availableHostBytes(meminfo: sources.meminfo), place: "the host's available memory")
        func consider(_ bytes: UInt64, _ place: String) {
            if bytes < smallest.bytes { smallest = (bytes, place) }
        }
        func used(_ key: String) -> UInt64 { procBytes(sources.status, key) ?? 0 }
        if let limit = sources.addressSpaceLimit {
            consider(remaining(limit, used("VmSize")),
                     "what the process's address-space limit (ulimit -v, RLIMIT_AS) leaves")
        }
        if let limit = sources.dataLimit {
            consider(remaining(limit, used("VmData")), "what the process's data limit (RLIMIT_DATA) leaves")
        }
        for cgroup in sources.cgroups {
            guard let max = cgroup.max.flatMap({ UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else { continue }
            let used = cgroup.current.flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            consider(remaining(max, used), "what the cgroup's memory.max leaves")
        }
        return smallest
    }
}

/// What is left of `limit` after `used`: never below zero.
private func remaining(_ limit: UInt64, _ used: UInt64) -> UInt64 { limit > used ? limit - used : 0 }
