/// One service, normalized: every short syntax already turned into its long form.
public struct Service: Sendable, Hashable, Codable {
    public var name: String
    public var image: String?
    public var build: Build?
    /// nil: the image's; an empty list: cleared with `command: []`.
    public var command: [String]?
    public var entrypoint: [String]?
    /// Values are nil for a bare `KEY` the environment did not set.
    public var environment: [String: String?]
    public var labels: [String: String]
    public var ports: [PortMapping]
    public var expose: [String]
    public var volumes: [Mount]
    public var tmpfs: [String]
    public var networks: [ServiceNetwork]
    public var networkMode: NetworkMode?
    public var dependsOn: [String: Dependency]
    public var links: [String]
    public var volumesFrom: [VolumesFrom]
    public var ipc: NamespaceMode?
    public var pid: NamespaceMode?
    public var healthcheck: Healthcheck?
    public var restart: RestartPolicy
    public var replicas: Int
    public var resources: Resources
    public var stopSignal: String?
    /// Nanoseconds; nil for docker's default of ten seconds.
    public var stopGracePeriod: Int64?
    public var ulimits: [String: Ulimit]
    public var sysctls: [String: String]
    public var extraHosts: [String]
    public var dns: [String]
    public var dnsSearch: [String]
    public var dnsOptions: [String]
    public var user: String?
    public var workingDir: String?
    public var hostname: String?
    public var domainname: String?
    /// `uts:` (`host`); nil: a namespace of its own.
    public var uts: String?
    /// `cgroup:` (`host` or `private`); nil: a namespace of its own.
    public var cgroup: String?
    /// `group_add`; nil: none.
    public var groupAdd: [String]?
    /// `cgroup_parent`; nil: berthd's.
    public var cgroupParent: String?
    /// `post_start` hooks, run in order once the container has started; nil: none.
    public var postStart: [ServiceHook]?
    /// `pre_stop` hooks, run in order before the container is stopped; nil: none.
    public var preStop: [ServiceHook]?
    /// `attach: false`: an attached `up` does not show its logs; nil: true.
    public var attach: Bool?
    /// `mac_address`: of the interface on the first network; nil: a random one.
    public var macAddress: String?
    /// `devices`; nil: none.
    public var devices: [DeviceMapping]?
    /// `device_cgroup_rules` (`c 1:3 mr`); nil: none.
    public var deviceCgroupRules: [String]?
    public var containerName: String?
    public var `init`: Bool
    public var readOnly: Bool
    public var privileged: Bool
    public var tty: Bool
    public var stdinOpen: Bool
    public var capAdd: [String]
    public var capDrop: [String]
    public var securityOpt: [String]
    public var secrets: [FileReference]
    public var configs: [FileReference]
    public var profiles: [String]
    public var pullPolicy: String?
    /// `platform:` (`linux/arm64`): the image's platform to pull; nil: the host's.
    public var platform: String?
    /// `x-berth: {restart_on_unhealthy: false}` opts out of restarts on unhealthy.
    public var restartOnUnhealthy: Bool
    /// `logging:` as written; nil: berthd's default (daemon.json's `log-driver`/`log-opts`).
    public var logging: Logging?
    /// The settings of `ServiceAttributes.unapplied` this service sets, as
    /// `Unapplied.setting` names them (`cpu_count`, `uts: host`), for `up`'s
    /// `WARN:` lines; nil: none (and in projects stored before it existed).
    public var unapplied: [String]?
    /// sha256 of the canonical form without fields that do not change the container (`berth config --hash`).
    public var configHash: String

    public init(name: String) {
        self.name = name
        environment = [:]
        labels = [:]
        ports = []
        expose = []
        volumes = []
        tmpfs = []
        networks = []
        dependsOn = [:]
        links = []
        volumesFrom = []
        restart = .no
        replicas = 1
        resources = Resources()
        ulimits = [:]
        sysctls = [:]
        extraHosts = []
        dns = []
        dnsSearch = []
        dnsOptions = []
        `init` = false
        readOnly = false
        privileged = false
        tty = false
        stdinOpen = false
        capAdd = []
        capDrop = []
        securityOpt = []
        secrets = []
        configs = []
        profiles = []
        restartOnUnhealthy = true
        configHash = ""
    }
}

/// `build:` in long form.
public struct Build: Sendable, Hashable, Codable {
    public var context: String
    public var dockerfile: String?
    /// `dockerfile_inline`: the Dockerfile's text itself (wins over `dockerfile`).
    public var dockerfileInline: String?
    public var target: String?
    public var args: [String: String?]
    /// Labels set on the built image.
    public var labels: [String: String]
    /// `no_cache`: run every step.
    public var noCache: Bool
    /// `pull`: pull every `FROM` first.
    public var pull: Bool
    /// `tags`: names the image gets beside the service's own.
    public var tags: [String]
    /// Build secrets: the top-level secret each names (`source`), and the
    /// id `RUN --mount=type=secret` reads it by (`target`, else the source).
    public var secrets: [FileReference]
    /// `network`: the network of `RUN` (`host`, `none`, or a network name).
    public var network: String?
    /// `extra_hosts`, `host=address` each.
    public var extraHosts: [String]
    /// `shm_size` in bytes.
    public var shmSize: Int64?
    /// `ulimits`, by name.
    public var ulimits: [String: Ulimit]
    /// `additional_contexts`: name → directory (absolute), or `docker-image://REF`, or another URL.
    public var additionalContexts: [String: String]

    public init(context: String, dockerfile: String? = nil, target: String? = nil, args: [String: String?] = [:]) {
        self.context = context
        self.dockerfile = dockerfile
        self.target = target
        self.args = args
        labels = [:]
        noCache = false
        pull = false
        tags = []
        secrets = []
        extraHosts = []
        ulimits = [:]
        additionalContexts = [:]
    }

    private enum CodingKeys: String, CodingKey {
        case context, dockerfile, dockerfileInline, target, args, labels, noCache, pull, tags, secrets, network
        case extraHosts, shmSize, ulimits, additionalContexts
    }

    /// Every key but the context may be missing (a project stored by an older berthd).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            context: try c.decode(String.self, forKey: .context),
            dockerfile: try c.decodeIfPresent(String.self, forKey: .dockerfile),
            target: try c.decodeIfPresent(String.self, forKey: .target),
            args: try c.decodeIfPresent([String: String?].self, forKey: .args) ?? [:])
        dockerfileInline = try c.decodeIfPresent(String.self, forKey: .dockerfileInline)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        noCache = try c.decodeIfPresent(Bool.self, forKey: .noCache) ?? false
        pull = try c.decodeIfPresent(Bool.self, forKey: .pull) ?? false
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        secrets = try c.decodeIfPresent([FileReference].self, forKey: .secrets) ?? []
        network = try c.decodeIfPresent(String.self, forKey: .network)
        extraHosts = try c.decodeIfPresent([String].self, forKey: .extraHosts) ?? []
        shmSize = try c.decodeIfPresent(Int64.self, forKey: .shmSize)
        ulimits = try c.decodeIfPresent([String: Ulimit].self, forKey: .ulimits) ?? [:]
        additionalContexts = try c.decodeIfPresent([String: String].self, forKey: .additionalContexts) ?? [:]
    }
}

/// A published or exposed port.
public struct PortMapping: Sendable, Hashable, Codable {
    public enum TransportProtocol: String, Sendable, Hashable, Codable { case tcp, udp, sctp }
    public var target: Int
    /// A port, a range `8000-8010`, or nil for an ephemeral host port.
    public var published: String?
    public var hostIP: String?
    public var `protocol`: TransportProtocol
    public var mode: String

    public init(
        target: Int, published: String? = nil, hostIP: String? = nil, protocol: TransportProtocol = .tcp,
        mode: String = "ingress"
    ) {
        self.target = target
        self.published = published
        self.hostIP = hostIP
        self.protocol = `protocol`
        self.mode = mode
    }
}

/// A service mount: named volume, bind, tmpfs or anonymous volume.
public struct Mount: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable { case volume, bind, tmpfs, image, npipe, cluster }
    public var type: Kind
    /// Volume key, absolute host path, or nil for an anonymous volume or tmpfs.
    public var source: String?
    public var target: String
    public var readOnly: Bool
    /// Bind: create a missing source directory.
    public var createHostPath: Bool
    public var selinux: String?
    public var propagation: String?
    /// Volume: do not seed from the image.
    public var nocopy: Bool
    public var tmpfsSize: Int64?
    public var tmpfsMode: Int?
    /// Volume: mount only this directory of it (`volume.subpath`); nil: all of it.
    public var subpath: String?

    public init(
        type: Kind, source: String?, target: String, readOnly: Bool = false, createHostPath: Bool = true,
        selinux: String? = nil, propagation: String? = nil, nocopy: Bool = false, tmpfsSize: Int64? = nil,
        tmpfsMode: Int? = nil
    ) {
        self.type = type
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.createHostPath = createHostPath
        self.selinux = selinux
        self.propagation = propagation
        self.nocopy = nocopy
        self.tmpfsSize = tmpfsSize
        self.tmpfsMode = tmpfsMode
    }
}

/// A service's attachment to a network.
public struct ServiceNetwork: Sendable, Hashable, Codable {
    /// The network's key in the project (not its host name).
    public var network: String
    public var aliases: [String]
    public var ipv4Address: String?
    public var ipv6Address: String?
    /// Higher first: eth0 is the highest priority network.
    public var priority: Int
    /// `mac_address` of the interface on this network; nil: a random one.
    public var macAddress: String?

    public init(
        network: String, aliases: [String] = [], ipv4Address: String? = nil, ipv6Address: String? = nil,
        priority: Int = 0
    ) {
        self.network = network
        self.aliases = aliases
        self.ipv4Address = ipv4Address
        self.ipv6Address = ipv6Address
        self.priority = priority
    }
}

/// A `depends_on` entry.
public struct Dependency: Sendable, Hashable, Codable {
    public enum Condition: String, Sendable, Hashable, Codable {
        case started = "service_started"
        case healthy = "service_healthy"
        case completedSuccessfully = "service_completed_successfully"
    }
    public var condition: Condition
    /// Restart this service when the dependency is restarted or recreated.
    public var restart: Bool
    /// false: a missing dependency is skipped.
    public var required: Bool

    public init(condition: Condition = .started, restart: Bool = false, required: Bool = true) {
        self.condition = condition
        self.restart = restart
        self.required = required
    }
}

/// A healthcheck as docker runs it. Durations are nanoseconds.
public struct Healthcheck: Sendable, Hashable, Codable {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]`, or `["NONE"]`; nil inherits the image's test.
    public var test: [String]?
    public var interval: Int64?
    public var timeout: Int64?
    public var retries: Int?
    public var startPeriod: Int64?
    public var startInterval: Int64?
    public var disable: Bool

    public init(
        test: [String]? = nil, interval: Int64? = nil, timeout: Int64? = nil, retries: Int? = nil,
        startPeriod: Int64? = nil, startInterval: Int64? = nil, disable: Bool = false
    ) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
        self.startInterval = startInterval
        self.disable = disable
    }

    /// True when no probe runs: `disable: true` or `test: [NONE]`.
    public var isDisabled: Bool { disable || test?.first == "NONE" }
}

/// `restart:`.
public enum RestartPolicy: Sendable, Hashable, Codable, CustomStringConvertible {
    case no
    case always
    /// `on-failure[:max]`; nil retries forever.
    case onFailure(maxRetries: Int?)
    case unlessStopped

    /// Parses `no`, `always`, `on-failure[:N]`, `unless-stopped`.
    public init?(_ text: String) {
        switch text {
        case "no": self = .no
        case "always": self = .always
        case "unless-stopped": self = .unlessStopped
        case "on-failure": self = .onFailure(maxRetries: nil)
        default:
            guard text.hasPrefix("on-failure:"), let n = Int(text.dropFirst(11)), n >= 0 else { return nil }
            self = .onFailure(maxRetries: n)
        }
    }

    public var description: String {
        switch self {
        case .no: return "no"
        case .always: return "always"
        case .unlessStopped: return "unless-stopped"
        case .onFailure(let max): return max.map { "on-failure:\($0)" } ?? "on-failure"
        }
    }
}

/// Resource limits.
public struct Resources: Sendable, Hashable, Codable {
    public var memoryLimit: Int64?
    public var memoryReservation: Int64?
    public var cpus: Double?
    public var pidsLimit: Int?
    public var shmSize: Int64?
    /// `memswap_limit`: memory plus swap, in bytes; -1 unlimited; nil: docker's default (twice the limit).
    public var memorySwap: Int64?
    /// `mem_swappiness` (0-100); nil: the host's.
    public var memorySwappiness: Int?
    /// `oom_kill_disable`.
    public var oomKillDisable: Bool?
    /// `oom_score_adj` (-1000-1000) of the container's first process.
    public var oomScoreAdj: Int?
    /// `cpu_shares`: the relative CPU weight (docker's default 1024).
    public var cpuShares: Int?
    /// `cpuset`: the CPUs the container may run on (`0-2,4`).
    public var cpuset: String?
    /// `cpu_quota` and `cpu_period`: CFS bandwidth, in microseconds.
    public var cpuQuota: Int64?
    public var cpuPeriod: Int64?
    /// `blkio_config`; nil: none.
    public var blkio: BlkioConfig?

    public init(
        memoryLimit: Int64? = nil, memoryReservation: Int64? = nil, cpus: Double? = nil, pidsLimit: Int? = nil,
        shmSize: Int64? = nil
    ) {
        self.memoryLimit = memoryLimit
        self.memoryReservation = memoryReservation
        self.cpus = cpus
        self.pidsLimit = pidsLimit
        self.shmSize = shmSize
    }
}

/// One ulimit.
public struct Ulimit: Sendable, Hashable, Codable {
    public var soft: Int
    public var hard: Int
    public init(soft: Int, hard: Int) {
        self.soft = soft
        self.hard = hard
    }
}

/// A service's use of a secret or config.
public struct FileReference: Sendable, Hashable, Codable {
    public var source: String
    public var target: String?
    public var uid: String?
    public var gid: String?
    public var mode: Int?

    public init(source: String, target: String? = nil, uid: String? = nil, gid: String? = nil, mode: Int? = nil) {
        self.source = source
        self.target = target
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}
