extension OCIRuntimeSpec {
    /// The Linux part of the spec: namespaces, cgroup resources, sysctls and
    /// the paths hidden from the container.
    public struct Linux: Codable, Hashable, Sendable {
        /// The namespaces the container gets; one with a `path` is joined, not made.
        public var namespaces: [Namespace]
        /// cgroup limits.
        public var resources: Resources?
        /// The cgroup, absolute from the hierarchy's root (cgroupfs manager).
        public var cgroupsPath: String?
        /// Namespaced sysctls set inside the container.
        public var sysctl: [String: String]?
        /// Device nodes made in the container's `/dev`.
        public var devices: [Device]?
        /// Paths covered so the container cannot read them.
        public var maskedPaths: [String]?
        /// Paths remounted read-only.
        public var readonlyPaths: [String]?
        /// The syscall filter; nil: none (unconfined).
        public var seccomp: Seccomp?

        /// A Linux section from its parts.
        public init(
            namespaces: [Namespace], resources: Resources?, cgroupsPath: String?, sysctl: [String: String]?,
            maskedPaths: [String]?, readonlyPaths: [String]?
        ) {
            self.namespaces = namespaces
            self.resources = resources
            self.cgroupsPath = cgroupsPath
            self.sysctl = sysctl
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
        }
    }

    /// One namespace: made new, or joined by the path of an existing one.
    public struct Namespace: Codable, Hashable, Sendable {
        /// `pid`, `network`, `mount`, `ipc`, `uts`, `user` or `cgroup`.
        public var type: String
        /// A namespace file (e.g. `/run/netns/x`) to join instead of making one.
        public var path: String?

        /// A namespace of the given type, joined when `path` is given.
        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// The cgroup limits Berth sets.
    public struct Resources: Codable, Hashable, Sendable {
        /// Memory limits, in bytes.
        public var memory: Memory?
        /// CPU bandwidth.
        public var cpu: CPU?
        /// The most tasks the container may have.
        public var pids: Pids?
        /// Device cgroup rules, applied in order.
        public var devices: [DeviceRule]?
        /// Block I/O weight and throttles.
        public var blockIO: BlockIO?

        /// Resources from their parts.
        public init(memory: Memory?, cpu: CPU?, pids: Pids?, devices: [DeviceRule]?) {
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
            self.devices = devices
        }
    }

    /// Memory limits, in bytes.
    public struct Memory: Codable, Hashable, Sendable {
        /// The hard limit on memory use; the OOM killer acts above it.
        public var limit: Int64?
        /// The limit on memory plus swap; -1 is unlimited.
        public var swap: Int64?
        /// The soft limit, kept to under memory pressure.
        public var reservation: Int64?
        /// The kernel's swap tendency for the cgroup, 0-100.
        public var swappiness: UInt64?
        /// Pauses, rather than kills, a task that goes over the limit.
        public var disableOOMKiller: Bool?

        /// Limits from their parts.
        public init(limit: Int64?, swap: Int64?) {
            self.limit = limit
            self.swap = swap
        }
    }

    /// CFS bandwidth (`quota` microseconds of CPU time per `period`), weight and CPU set.
    public struct CPU: Codable, Hashable, Sendable {
        /// CPU time allowed per period, in microseconds.
        public var quota: Int64?
        /// The accounting period, in microseconds.
        public var period: UInt64?
        /// The relative weight (cgroup v1 `cpu.shares`).
        public var shares: UInt64?
        /// The CPUs the tasks may run on (`0-2,4`).
        public var cpus: String?

        /// Bandwidth from its parts.
        public init(quota: Int64?, period: UInt64?) {
            self.quota = quota
            self.period = period
        }
    }

    /// The pids controller's limit.
    public struct Pids: Codable, Hashable, Sendable {
        /// The most tasks; -1 is unlimited.
        public var limit: Int64

        /// A pids limit.
        public init(limit: Int64) { self.limit = limit }
    }

    /// The blkio controller's settings.
    public struct BlockIO: Codable, Hashable, Sendable {
        /// A device's weight.
        public struct WeightDevice: Codable, Hashable, Sendable {
            public var major: Int64
            public var minor: Int64
            public var weight: UInt16

            /// A weight from its parts.
            public init(major: Int64, minor: Int64, weight: UInt16) {
                self.major = major
                self.minor = minor
                self.weight = weight
            }
        }

        /// A device's rate limit.
        public struct ThrottleDevice: Codable, Hashable, Sendable {
            public var major: Int64
            public var minor: Int64
            public var rate: UInt64

            /// A limit from its parts.
            public init(major: Int64, minor: Int64, rate: UInt64) {
                self.major = major
                self.minor = minor
                self.rate = rate
            }
        }

        public var weight: UInt16?
        public var weightDevice: [WeightDevice]?
        public var throttleReadBpsDevice: [ThrottleDevice]?
        public var throttleWriteBpsDevice: [ThrottleDevice]?
        public var throttleReadIOPSDevice: [ThrottleDevice]?
        public var throttleWriteIOPSDevice: [ThrottleDevice]?

        /// Nothing set.
        public init() {}
    }

    /// One device node to make.
    public struct Device: Codable, Hashable, Sendable {
        /// The path in the container.
        public var path: String
        /// `c` or `b`.
        public var type: String
        public var major: Int64
        public var minor: Int64
        /// The permission bits.
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?

        /// A device from its parts.
        public init(
            path: String, type: String, major: Int64, minor: Int64, fileMode: UInt32?, uid: UInt32?, gid: UInt32?
        ) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
        }
    }

    /// One device cgroup rule.
    public struct DeviceRule: Codable, Hashable, Sendable {
        /// Whether the rule allows or denies.
        public var allow: Bool
        /// `c` (character), `b` (block) or absent for all.
        public var type: String?
        /// The major number; absent matches all.
        public var major: Int64?
        /// The minor number; absent matches all.
        public var minor: Int64?
        /// Some of `r`, `w`, `m`.
        public var access: String?

        /// A rule from its parts.
        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = "rwm")
        {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }
}

extension OCIRuntimeSpec {
    /// `linux.seccomp`: the syscall filter crun loads before the process runs.
    public struct Seccomp: Codable, Hashable, Sendable {
        /// One condition on a syscall's argument.
        public struct Argument: Codable, Hashable, Sendable {
            public var index: UInt
            public var value: UInt64
            public var valueTwo: UInt64?
            public var op: String
        }

        /// What happens to some syscalls (with conditions on their arguments).
        public struct Syscall: Codable, Hashable, Sendable {
            public var names: [String]
            public var action: String
            public var errnoRet: UInt?
            public var args: [Argument]?
        }

        public var defaultAction: String
        public var defaultErrnoRet: UInt?
        public var architectures: [String]?
        public var flags: [String]?
        public var syscalls: [Syscall]?
    }
}
