import BerthModel

/// A container's lifecycle state, as observed.
public enum ContainerState: Sendable, Hashable, Codable {
    case created
    case running(pid: Int32)
    case exited(code: Int32)
    /// Gone from the OCI runtime while Berth still has its directory.
    case dead

    /// docker's word for the state (`created`, `running`, `exited`, `dead`).
    public var name: String {
        switch self {
        case .created: return "created"
        case .running: return "running"
        case .exited: return "exited"
        case .dead: return "dead"
        }
    }

    public var isRunning: Bool {
        if case .running = self { return true }
        return false
    }
}

/// A container as the runtime sees it now.
public struct ContainerInfo: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var image: String
    public var labels: [String: String]
    public var state: ContainerState
    /// Network name → the container's IPv4 address on it.
    public var addresses: [String: String]
    /// Network name → the names it answers to there besides its own
    /// (the service name and the `aliases` of the compose file).
    public var aliases: [String: [String]] = [:]
    /// Ports as bound, with ephemeral ones filled in.
    public var ports: [PortSpec]
    /// Seconds since the epoch.
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Mount target → the anonymous volume there (the spec's anonymous
    /// mounts and the image's `VOLUME`s); nil when the runtime keeps none.
    public var anonymousVolumes: [String: String]?
    /// Exposed ports (`80/tcp`, `8000-8010/udp`): the service's and the
    /// image's, which `ps` lists beside the published ones; nil: none.
    public var exposedPorts: [String]?
    /// The container's own DNS servers (`dns:`), to which the embedded DNS
    /// forwards the names it does not know; nil: the host's.
    public var dnsServers: [String]?
    /// What `createContainer` could not do as the spec asked (a ulimit
    /// lowered, a setting berthd cannot grant), one sentence each, for
    /// `up`'s `WARN:` lines; nil: nothing, and in every other answer.
    public var warnings: [String]?
    /// Frozen by `pause` (its state stays `running`, as docker's does); nil: not paused.
    public var paused: Bool?
    /// The init's argv (entrypoint and command); nil when the runtime does not say.
    public var command: [String]?

    public init(
        id: String, name: String, image: String, labels: [String: String], state: ContainerState,
        addresses: [String: String] = [:], ports: [PortSpec] = [], createdAt: Double, startedAt: Double? = nil,
        finishedAt: Double? = nil
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.labels = labels
        self.state = state
        self.addresses = addresses
        self.ports = ports
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// A network to create.
public struct NetworkSpec: Sendable, Hashable, Codable {
    public var name: String
    public var labels: [String: String]
    public var subnet: String?
    public var gateway: String?
    public var ipRange: String?
    public var `internal`: Bool

    public init(
        name: String, labels: [String: String] = [:], subnet: String? = nil, gateway: String? = nil,
        ipRange: String? = nil, internal: Bool = false
    ) {
        self.name = name
        self.labels = labels
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.internal = `internal`
    }
}

/// A network as it exists.
public struct NetworkInfo: Sendable, Hashable, Codable {
    public var name: String
    public var labels: [String: String]
    public var subnet: String
    public var gateway: String
    public var `internal`: Bool

    public init(name: String, labels: [String: String], subnet: String, gateway: String, internal: Bool) {
        self.name = name
        self.labels = labels
        self.subnet = subnet
        self.gateway = gateway
        self.internal = `internal`
    }
}

/// A named volume as it exists.
public struct VolumeInfo: Sendable, Hashable, Codable {
    public var name: String
    public var labels: [String: String]
    /// The directory on the host.
    public var mountpoint: String

    public init(name: String, labels: [String: String], mountpoint: String) {
        self.name = name
        self.labels = labels
        self.mountpoint = mountpoint
    }
}

/// An image in the store.
public struct ImageInfo: Sendable, Hashable, Codable {
    public var reference: String
    public var digest: String
    public var size: Int64
    /// The image's `HEALTHCHECK`: what runs when a service sets no `test`.
    public var healthcheck: Healthcheck?
    /// `repository@digest` for each registry it was pulled from or pushed to, as docker's `RepoDigests`.
    public var repoDigests: [String]?
    /// `os/architecture` (`linux/amd64`) as the image's config says; nil when the runtime does not say.
    public var platform: String?

    public init(
        reference: String, digest: String, size: Int64, healthcheck: Healthcheck? = nil, repoDigests: [String]? = nil
    ) {
        self.reference = reference
        self.digest = digest
        self.size = size
        self.healthcheck = healthcheck
        self.repoDigests = repoDigests
    }
}

/// Which output of an exec bytes came from.
public enum ExecStream: String, Sendable, Hashable, Codable {
    case stdout, stderr
}

/// The output and status of an exec.
public struct ExecResult: Sendable, Hashable, Codable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String

    public init(exitCode: Int32, stdout: String, stderr: String) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Something that happened to a container, for the supervisor and `berth events`.
public struct RuntimeEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case create, start, die, kill, stop, destroy, pause, unpause
    }
    public var kind: Kind
    public var containerID: String
    public var containerName: String
    /// For `die`: the exit code.
    public var exitCode: Int32?

    public init(kind: Kind, containerID: String, containerName: String, exitCode: Int32? = nil) {
        self.kind = kind
        self.containerID = containerID
        self.containerName = containerName
        self.exitCode = exitCode
    }
}
