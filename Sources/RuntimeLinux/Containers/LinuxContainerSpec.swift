import BerthModel

/// A container's id: the crun id, the name of its directory and of its
/// cgroup. BerthModel's `ResourceName` grammar (docker's
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`), here at most 128 bytes, so that it can
/// reach a path or the kernel unescaped.
public struct ContainerID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The id as text.
    public let rawValue: String

    /// Nil unless `rawValue` is 1–128 characters of `[a-zA-Z0-9_.-]` starting
    /// with a letter or digit.
    public init?(_ rawValue: String) {
        guard ResourceName.problem(rawValue, maxBytes: 128) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// The id as text.
    public var description: String { rawValue }

    /// Ids order as their text.
    public static func < (a: ContainerID, b: ContainerID) -> Bool { a.rawValue < b.rawValue }

    /// Decodes from a plain string, refusing an invalid id.
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ContainerID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid container id \"\(text)\""))
        }
        self = id
    }

    /// Encodes as a plain string.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Everything the driver needs to make one container, resolved down to the
/// host: the image's config and its unpacked layers, the service's
/// overrides, the network namespace's path, the volume directories. The
/// runtime adapter derives it from `RuntimeKit.ContainerSpec` (image
/// reference, volume names, networks by name); the driver turns it into an
/// OCI bundle (`BundleBuilder`) and an overlay rootfs.
public struct LinuxContainerSpec: Hashable, Sendable {
    /// The container's id.
    public var id: ContainerID
    /// The image's own config (entrypoint, cmd, env, working dir, user).
    public var image: Image
    /// Unpacked image layers, lowest (the base) first.
    public var layers: [String]
    /// The service's `entrypoint`; nil when the service sets none. Given, it
    /// replaces the image's entrypoint and clears the image's cmd.
    public var entrypoint: [String]?
    /// The service's `command`; nil when the service sets none.
    public var command: [String]?
    /// The service's `KEY=value` entries; they win over the image's.
    public var environment: [String] = []
    /// The service's `working_dir`.
    public var workingDir: String?
    /// The service's `user`: `name`, `uid`, `name:group`, `uid:gid`, …
    public var user: String?
    /// The service's `group_add`: supplementary groups by name or number.
    public var groupAdd: [String] = []
    /// The UTS hostname; nil: the id, up to 63 characters.
    public var hostname: String?
    /// The UTS NIS domain name (`domainname`); nil: none.
    public var domainname: String?
    /// `uts: host`: the host's UTS namespace (hostname and domain name are the host's).
    public var hostUTS = false
    /// `cgroup: host`: the host's cgroup namespace (`/proc/self/cgroup` shows the full path).
    public var hostCgroupNamespace = false
    /// Binds, volumes and tmpfs mounts, in order.
    public var mounts: [Mount] = []
    /// Which network namespace the container lives in.
    public var network: Network = .none
    /// The init's standard input, written to the container's directory at
    /// create for the shim to open; nil: /dev/null.
    public var standardInput: [UInt8]?
    /// `tty: true`: the init runs on a pty whose master the shim holds.
    public var terminal = false
    /// `stdin_open: true`: the init's stdin is a pipe the shim keeps open
    /// (the pty itself with `terminal`), for `attach`.
    public var openStdin = false
    /// Its PID and IPC namespaces (compose `pid:` and `ipc:`).
    public var pidNamespace: Namespace = .own
    public var ipcNamespace: Namespace = .own
    /// Lines added to `/etc/hosts` after the localhost ones.
    public var extraHosts: [HostEntry] = []
    /// The `/etc/resolv.conf` to write; nil copies the host's.
    public var dns: DNS?
    /// cgroup limits and the size of `/dev/shm`.
    public var resources = Resources()
    /// `ulimits`, clamped to what berthd may grant.
    public var ulimits: [Ulimit] = []
    /// Namespaced sysctls (`net.*`, `kernel.shm*`, `fs.mqueue.*`, …).
    public var sysctls: [String: String] = [:]
    /// Capabilities added to docker's default set; `ALL` for every one.
    public var capAdd: [String] = []
    /// Capabilities removed from docker's default set; `ALL` for every one.
    public var capDrop: [String] = []
    /// Every capability, nothing masked, every device allowed.
    public var privileged = false
    /// Mounts the rootfs read-only.
    public var readOnlyRootfs = false
    /// `security_opt: no-new-privileges`.
    public var noNewPrivileges = false
    /// `unconfined`, a profile's path, or nil for docker's default profile.
    public var seccompProfile: String?
    /// `apparmor=…` and `label=…` options, applied only where the host has that module.
    public var securityModuleOptions: [String] = []
    /// Compose `init: true`: tini as PID 1, reaping zombies and forwarding signals.
    public var initProcess = false
    /// `cgroup_parent`: the cgroup the container's goes under; nil: the driver's (`/berth`).
    public var cgroupParent: String?
    /// Host devices made in the container's `/dev` and allowed in its device cgroup.
    public var devices: [Device] = []
    /// `device_cgroup_rules` (`c 1:3 mr`, `a *:* rwm`): allowed besides docker's defaults.
    public var deviceCgroupRules: [String] = []
    /// Where and how much json-file log to keep.
    public var log = LogOptions()
    /// Kept in the bundle as OCI annotations (e.g. compose labels).
    public var annotations: [String: String] = [:]

    /// A spec with the given id, image config and layers; the rest defaults
    /// as docker's would.
    public init(id: ContainerID, image: Image, layers: [String]) {
        self.id = id
        self.image = image
        self.layers = layers
    }

    /// The parts of an image's config that decide how its process starts.
    public struct Image: Hashable, Sendable {
        /// The image's `Entrypoint`.
        public var entrypoint: [String]?
        /// The image's `Cmd`.
        public var cmd: [String]?
        /// The image's `Env`, `KEY=value`.
        public var env: [String]
        /// The image's `WorkingDir`.
        public var workingDir: String?
        /// The image's `User`.
        public var user: String?

        /// An image config from its parts.
        public init(
            entrypoint: [String]? = nil, cmd: [String]? = nil, env: [String] = [], workingDir: String? = nil,
            user: String? = nil
        ) {
            self.entrypoint = entrypoint
            self.cmd = cmd
            self.env = env
            self.workingDir = workingDir
            self.user = user
        }
    }

    /// One mount the service asks for.
    public enum Mount: Hashable, Sendable {
        /// A host path bound into the container.
        case bind(source: String, target: String, readOnly: Bool)
        /// A volume's directory (the volume store gives the path) bound into the container.
        case volume(source: String, target: String, readOnly: Bool)
        /// A fresh tmpfs; `size` in bytes, `mode` as permission bits.
        case tmpfs(target: String, size: Int64?, mode: UInt32?)

        /// The path inside the container.
        public var target: String {
            switch self {
            case .bind(_, let target, _), .volume(_, let target, _), .tmpfs(let target, _, _): return target
            }
        }
    }

    /// The network namespace the container runs in.
    /// A namespace the container makes, shares with the host, or joins.
    public enum Namespace: Hashable, Sendable {
        /// A new one (docker's default).
        case own
        /// The host's (`pid: host`, `ipc: host`).
        case host
        /// Another container's, by its `/proc/<pid>/ns/…` file. For IPC
        /// that shares System V IPC and message queues; `/dev/shm` stays the
        /// container's own (docker shares it too, but a mount cannot be bound
        /// from another container's mount namespace).
        case join(path: String)
    }

    public enum Network: Hashable, Sendable {
        /// A new namespace with only loopback (compose `network_mode: none`).
        case none
        /// The host's namespace (`network_mode: host`).
        case host
        /// An existing namespace, by its file (a bridge network's netns).
        case namespace(path: String)
    }

    /// A device node as the host has it, at `path` in the container.
    public struct Device: Hashable, Sendable {
        /// The path in the container.
        public var path: String
        /// `c` (character) or `b` (block).
        public var type: String
        /// The device numbers.
        public var major: Int64
        public var minor: Int64
        /// The permission bits, owner and group of the host's node.
        public var fileMode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        /// The device cgroup access: some of `r`, `w`, `m`.
        public var permissions: String

        /// A device from its parts.
        public init(
            path: String, type: String, major: Int64, minor: Int64, fileMode: UInt32, uid: UInt32, gid: UInt32,
            permissions: String
        ) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
            self.permissions = permissions
        }
    }

    /// One `/etc/hosts` line: an address and its names.
    public struct HostEntry: Hashable, Sendable {
        /// The IP address.
        public var address: String
        /// The names for it.
        public var names: [String]

        /// A hosts line from its parts.
        public init(address: String, names: [String]) {
            self.address = address
            self.names = names
        }
    }

    /// The resolver configuration written to `/etc/resolv.conf`.
    public struct DNS: Hashable, Sendable {
        /// `nameserver` lines, in order.
        public var servers: [String]
        /// The `search` domains.
        public var search: [String]
        /// The `options` words.
        public var options: [String]

        /// A resolver config from its parts.
        public init(servers: [String], search: [String] = [], options: [String] = []) {
            self.servers = servers
            self.search = search
            self.options = options
        }
    }

    /// cgroup limits; nil is unlimited.
    public struct Resources: Hashable, Sendable {
        /// `mem_limit`, in bytes.
        public var memoryLimit: Int64?
        /// `memswap_limit`, in bytes; nil: twice `memoryLimit`, as docker does; -1: unlimited.
        public var memorySwap: Int64?
        /// `cpus`: CPU time as a number of CPUs (0.5 is half of one).
        public var cpus: Double?
        /// `pids_limit`.
        public var pidsLimit: Int64?
        /// `shm_size`, in bytes; nil: docker's 64 MiB.
        public var shmSize: Int64?
        /// `mem_reservation`: the soft limit, in bytes.
        public var memoryReservation: Int64?
        /// `mem_swappiness`, 0-100.
        public var memorySwappiness: Int?
        /// `oom_kill_disable`.
        public var oomKillDisable = false
        /// `oom_score_adj` of the container's first process.
        public var oomScoreAdj: Int?
        /// `cpu_shares`: the relative CPU weight.
        public var cpuShares: Int?
        /// `cpuset`: the CPUs the container may run on.
        public var cpuset: String?
        /// `cpu_quota` / `cpu_period`, in microseconds; `cpus` is used when no quota is given.
        public var cpuQuota: Int64?
        public var cpuPeriod: Int64?
        /// `blkio_config`, its devices resolved to their numbers.
        public var blockIO: BlockIO?

        /// Limits from their parts; all unlimited by default.
        public init(
            memoryLimit: Int64? = nil, memorySwap: Int64? = nil, cpus: Double? = nil, pidsLimit: Int64? = nil,
            shmSize: Int64? = nil
        ) {
            self.memoryLimit = memoryLimit
            self.memorySwap = memorySwap
            self.cpus = cpus
            self.pidsLimit = pidsLimit
            self.shmSize = shmSize
        }
    }

    /// `blkio_config` with each device as its major and minor numbers.
    public struct BlockIO: Hashable, Sendable {
        /// A device and a weight or a rate.
        public struct Device: Hashable, Sendable {
            public var major: Int64
            public var minor: Int64
            public var value: UInt64

            /// A device entry from its parts.
            public init(major: Int64, minor: Int64, value: UInt64) {
                self.major = major
                self.minor = minor
                self.value = value
            }
        }

        /// 10-1000.
        public var weight: UInt16?
        public var weightDevice: [Device] = []
        public var readBps: [Device] = []
        public var writeBps: [Device] = []
        public var readIops: [Device] = []
        public var writeIops: [Device] = []

        /// Nothing set.
        public init() {}
    }

    /// One `ulimits` entry: `nofile`, `nproc`, … with its soft and hard limits.
    public struct Ulimit: Hashable, Sendable {
        /// The compose name (`nofile`), without `RLIMIT_`.
        public var name: String
        /// The soft limit.
        public var soft: UInt64
        /// The hard limit.
        public var hard: UInt64

        /// A ulimit from its parts.
        public init(name: String, soft: UInt64, hard: UInt64) {
            self.name = name
            self.soft = soft
            self.hard = hard
        }
    }

    /// What the shim does with the output: the driver, json-file's
    /// rotation (`logging.options.max-size` / `max-file` / `compress`).
    public typealias LogOptions = LogPolicy
}
