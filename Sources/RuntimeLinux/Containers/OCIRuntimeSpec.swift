/// The subset of the OCI runtime spec (`config.json`, runtime-spec 1.0.2)
/// that Berth writes and crun reads. Field names are the spec's JSON keys;
/// an absent optional is left out of the file, which the spec reads as
/// "the runtime's default".
public struct OCIRuntimeSpec: Codable, Hashable, Sendable {
    /// The spec version the file follows.
    public var ociVersion: String = "1.0.2"
    /// The container's first process.
    public var process: Process
    /// The root filesystem, relative to the bundle or absolute.
    public var root: Root
    /// The UTS hostname, set when the spec has a UTS namespace.
    public var hostname: String?
    /// Mounts in order: a later mount may sit inside an earlier one.
    public var mounts: [Mount]
    /// The Linux-specific part: namespaces, cgroups, sysctls, masking.
    public var linux: Linux
    /// Free-form key/values kept with the container's state.
    public var annotations: [String: String]?

    /// A spec from its parts.
    public init(
        process: Process, root: Root, hostname: String?, mounts: [Mount], linux: Linux,
        annotations: [String: String]? = nil
    ) {
        self.process = process
        self.root = root
        self.hostname = hostname
        self.mounts = mounts
        self.linux = linux
        self.annotations = annotations
    }

    /// The process to run and the identity and limits it runs with.
    public struct Process: Codable, Hashable, Sendable {
        /// A pty for the process (`tty: true`, `exec -it`): the runtime
        /// sends its master to a console socket.
        public var terminal: Bool = false
        /// The pty's size at the start; nil: the kernel's default.
        public var consoleSize: ConsoleSize?
        /// The identity the process runs as.
        public var user: User
        /// argv; `args[0]` is looked up in the container's `PATH`.
        public var args: [String]
        /// `KEY=value` entries, exactly as the process will see them.
        public var env: [String]
        /// The absolute working directory inside the container.
        public var cwd: String
        /// The capability sets; absent means none at all.
        public var capabilities: Capabilities?
        /// POSIX rlimits, applied by crun before exec.
        public var rlimits: [Rlimit]?
        /// Sets PR_SET_NO_NEW_PRIVS: setuid binaries cannot gain privileges.
        public var noNewPrivileges: Bool?
        /// Written to the process's `/proc/self/oom_score_adj`.
        public var oomScoreAdj: Int?

        /// A process from its parts.
        public init(
            user: User, args: [String], env: [String], cwd: String, capabilities: Capabilities?,
            rlimits: [Rlimit]?, noNewPrivileges: Bool?
        ) {
            self.user = user
            self.args = args
            self.env = env
            self.cwd = cwd
            self.capabilities = capabilities
            self.rlimits = rlimits
            self.noNewPrivileges = noNewPrivileges
        }
    }

    /// A numeric identity: the kernel knows no names.
    public struct User: Codable, Hashable, Sendable {
        /// The user id.
        public var uid: UInt32
        /// The primary group id.
        public var gid: UInt32
        /// Supplementary group ids.
        public var additionalGids: [UInt32]?

        /// A user from its ids.
        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32]? = nil) {
            self.uid = uid
            self.gid = gid
            self.additionalGids = additionalGids
        }
    }

    /// A terminal's size, in characters.
    public struct ConsoleSize: Codable, Hashable, Sendable {
        public var height: UInt16
        public var width: UInt16

        /// A size of `height` rows and `width` columns.
        public init(height: UInt16, width: UInt16) {
            self.height = height
            self.width = width
        }
    }

    /// The five capability sets, each a list of `CAP_*` names.
    public struct Capabilities: Codable, Hashable, Sendable {
        /// The bounding set: the most the process can ever hold.
        public var bounding: [String]
        /// The effective set.
        public var effective: [String]
        /// The inheritable set (docker leaves it empty since 20.10).
        public var inheritable: [String]
        /// The permitted set.
        public var permitted: [String]
        /// The ambient set (empty, as in docker).
        public var ambient: [String]

        /// The same list in bounding, effective and permitted; none inheritable or ambient.
        public init(granting names: [String]) {
            bounding = names
            effective = names
            inheritable = []
            permitted = names
            ambient = []
        }
    }

    /// One rlimit, by its `RLIMIT_*` name.
    public struct Rlimit: Codable, Hashable, Sendable {
        /// The `RLIMIT_*` name, e.g. `RLIMIT_NOFILE`.
        public var type: String
        /// The hard limit.
        public var hard: UInt64
        /// The soft limit.
        public var soft: UInt64

        /// A limit from its parts.
        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }

    /// Where the root filesystem is and whether it is read-only.
    public struct Root: Codable, Hashable, Sendable {
        /// The path of the root filesystem.
        public var path: String
        /// Remounts the root read-only after the other mounts are made.
        public var readonly: Bool

        /// A root from its parts.
        public init(path: String, readonly: Bool) {
            self.path = path
            self.readonly = readonly
        }
    }

    /// One mount, as mount(2) takes it.
    public struct Mount: Codable, Hashable, Sendable {
        /// The absolute path inside the container.
        public var destination: String
        /// The filesystem type (`proc`, `tmpfs`, `bind`, …).
        public var type: String
        /// The device, host path or filesystem name.
        public var source: String
        /// mount(8)-style options: flags and data.
        public var options: [String]?

        /// A mount from its parts.
        public init(destination: String, type: String, source: String, options: [String]? = nil) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }
}
