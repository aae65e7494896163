import BerthModel

/// Everything needed to create one container. The runtime knows containers,
/// not compose services: the reconciler turns a service into specs.
public struct ContainerSpec: Sendable, Hashable, Codable {
    public var name: String
    /// An image reference the runtime's store can resolve (`busybox`, `busybox:1.36`).
    public var image: String
    public var labels: [String: String]
    /// nil: the image's. A given entrypoint also drops the image's command, as docker does.
    public var entrypoint: [String]?
    public var command: [String]?
    /// Added to the image's environment; these win.
    public var environment: [String: String]
    public var workingDir: String?
    public var user: String?
    public var hostname: String?
    public var domainname: String?
    /// `uts: host`: the host's UTS namespace; nil: one of its own.
    public var uts: SharedNamespace?
    /// `cgroup: host`: the host's cgroup namespace; nil: one of its own.
    public var cgroupNamespace: SharedNamespace?
    /// `group_add`: supplementary groups by name or number; nil: none.
    public var groupAdd: [String]?
    /// `cgroup_parent`: the cgroup the container's goes under; nil: the runtime's.
    public var cgroupParent: String?
    /// `devices`: host devices (absolute paths) given to the container; nil: none.
    public var devices: [DeviceMapping]?
    /// `device_cgroup_rules` (`c 1:3 mr`), allowed besides docker's defaults; nil: none.
    public var deviceCgroupRules: [String]?
    /// Exposed ports (`expose:`, `80`, `8000-8010/udp`): published nowhere,
    /// listed by `ps`; the runtime adds the image's. nil: none.
    public var expose: [String]?
    /// Files the runtime writes for the container and mounts read-only
    /// (secrets and configs with their owner and mode); nil: none.
    public var files: [FileSpec]?
    /// Mount target of a named volume → the directory of the volume mounted
    /// there instead of all of it (`volume.subpath`); nil: none.
    public var volumeSubpaths: [String: String]?
    public var `init`: Bool
    public var readOnly: Bool
    public var privileged: Bool
    public var capAdd: [String]
    public var capDrop: [String]
    /// `pid:` and `ipc:`; nil: a namespace of its own.
    public var pidMode: SharedNamespace?
    public var ipcMode: SharedNamespace?
    /// `security_opt: no-new-privileges`; nil: false.
    public var noNewPrivileges: Bool?
    /// `security_opt: seccomp=…`: `unconfined`, or the absolute path of a
    /// profile in docker's format; nil: docker's default profile.
    public var seccompProfile: String?
    /// `security_opt` entries for a Linux security module (`apparmor=…`,
    /// `label=…`), which the runtime applies where the host has that module.
    public var securityModuleOptions: [String]?
    public var mounts: [MountSpec]
    public var networkMode: ContainerNetworkMode
    /// In eth0, eth1, … order; used when `networkMode` is `.bridge`.
    public var networks: [NetworkAttachment]
    public var ports: [PortSpec]
    public var resources: Resources
    public var ulimits: [String: Ulimit]
    public var sysctls: [String: String]
    /// `host=ip` entries for /etc/hosts.
    public var extraHosts: [String]
    public var dns: [String]
    public var dnsSearch: [String]
    public var dnsOptions: [String]
    public var stopSignal: String?
    /// `logging:` as the service wrote it; nil: the runtime's default.
    public var logging: Logging?
    /// Nanoseconds; nil for ten seconds.
    public var stopGracePeriod: Int64?
    public var healthcheck: Healthcheck?
    /// The init's standard input (`berth run < file`); nil: none. Used at
    /// create and not kept in the runtime's records.
    public var standardInput: [UInt8]?
    /// `volumes_from`: containers whose volumes and binds this one mounts
    /// at the same places. nil: none.
    public var volumesFrom: [VolumesFromContainer]?
    /// Mount target → an anonymous volume of the container this one
    /// replaces, to be mounted there again instead of a new one: a recreate
    /// keeps their data, as docker compose's does (`up -V` renews them).
    /// nil: none.
    public var inheritedVolumes: [String: String]?
    /// `tty: true`: the init's standard streams are a pseudo-terminal,
    /// which `attach` relays. nil: false.
    public var tty: Bool?
    /// `stdin_open: true`: the init's standard input stays open for
    /// `attach` (a pipe, or the terminal with `tty`). nil: false.
    public var stdinOpen: Bool?

    public init(name: String, image: String) {
        self.name = name
        self.image = image
        labels = [:]
        environment = [:]
        `init` = false
        readOnly = false
        privileged = false
        capAdd = []
        capDrop = []
        mounts = []
        networkMode = .bridge
        networks = []
        ports = []
        resources = Resources()
        ulimits = [:]
        sysctls = [:]
        extraHosts = []
        dns = []
        dnsSearch = []
        dnsOptions = []
    }
}

/// A namespace shared rather than made (`pid:`, `ipc:`).
public enum SharedNamespace: Sendable, Hashable, Codable {
    /// The host's (`host`).
    case host
    /// A running container's (`service:x`, `container:x`).
    case container(String)
}

/// One `volumes_from` entry as the runtime takes it: a container by name
/// (BerthModel's `VolumesFrom` may name a service; the reconciler resolves it).
public struct VolumesFromContainer: Sendable, Hashable, Codable {
    /// The container whose mounts are shared.
    public var container: String
    /// `:ro` (true) or `:rw` (false); nil: each mount as the container has it.
    public var readOnly: Bool?

    public init(container: String, readOnly: Bool? = nil) {
        self.container = container
        self.readOnly = readOnly
    }
}

/// Where a container's network stack comes from, resolved down to
/// containers (BerthModel's `NetworkMode` is the compose value, which may
/// name a service; the reconciler resolves it).
public enum ContainerNetworkMode: Sendable, Hashable, Codable {
    /// Its own namespace, attached to `ContainerSpec.networks`.
    case bridge
    /// Its own namespace with only `lo`.
    case none
    /// The host's namespace.
    case host
    /// Another container's namespace (`network_mode: service:x` / `container:x`).
    case container(String)
}

/// One network a container joins.
public struct NetworkAttachment: Sendable, Hashable, Codable {
    /// The network's name on the host (`<project>_<key>`).
    public var network: String
    /// Names this container answers to on the network, besides its own name.
    public var aliases: [String]
    public var ipv4Address: String?
    /// The interface's MAC address (`02:42:ac:11:00:02`); nil: a random one.
    public var macAddress: String?

    public init(network: String, aliases: [String] = [], ipv4Address: String? = nil, macAddress: String? = nil) {
        self.network = network
        self.aliases = aliases
        self.ipv4Address = ipv4Address
        self.macAddress = macAddress
    }
}

/// A mount in a container.
public enum MountSpec: Sendable, Hashable, Codable {
    /// A host path (already absolute).
    case bind(source: String, target: String, readOnly: Bool, createHostPath: Bool)
    /// A named volume; seeded from the image unless `nocopy`.
    case volume(name: String, target: String, readOnly: Bool, nocopy: Bool)
    /// A volume that goes with the container.
    case anonymous(target: String)
    case tmpfs(target: String, size: Int64?, mode: Int?)

    /// The path inside the container.
    public var target: String {
        switch self {
        case .bind(_, let target, _, _), .volume(_, let target, _, _), .anonymous(let target), .tmpfs(let target, _, _):
            return target
        }
    }
}

/// A file mounted read-only in a container, written by the runtime with
/// its own owner and mode: a secret or config.
public struct FileSpec: Sendable, Hashable, Codable {
    /// Where the content comes from.
    public enum Content: Sendable, Hashable, Codable {
        /// A host file, read when the container is created.
        case file(String)
        /// The text itself.
        case text(String)
    }

    /// The absolute path in the container.
    public var target: String
    public var content: Content
    public var uid: UInt32
    public var gid: UInt32
    /// Permission bits.
    public var mode: UInt32

    public init(target: String, content: Content, uid: UInt32 = 0, gid: UInt32 = 0, mode: UInt32 = 0o444) {
        self.target = target
        self.content = content
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}

/// A port published on the host.
public struct PortSpec: Sendable, Hashable, Codable {
    /// nil: every address.
    public var hostIP: String?
    /// nil or 0: an ephemeral port the runtime picks and reports.
    public var hostPort: Int?
    public var containerPort: Int
    public var `protocol`: PortMapping.TransportProtocol

    public init(
        hostIP: String? = nil, hostPort: Int? = nil, containerPort: Int, protocol: PortMapping.TransportProtocol = .tcp
    ) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.protocol = `protocol`
    }
}

/// A command run inside a running container.
public struct ExecSpec: Sendable, Hashable, Codable {
    public var command: [String]
    public var environment: [String: String]
    public var user: String?
    public var workingDir: String?
    /// Killed after this many nanoseconds; nil waits for ever.
    public var timeout: Int64?
    /// Fed to the command's standard input, which then ends; empty: none.
    public var standardInput: [UInt8]

    public init(
        command: [String], environment: [String: String] = [:], user: String? = nil, workingDir: String? = nil,
        timeout: Int64? = nil, standardInput: [UInt8] = []
    ) {
        self.command = command
        self.environment = environment
        self.user = user
        self.workingDir = workingDir
        self.timeout = timeout
        self.standardInput = standardInput
    }
}
