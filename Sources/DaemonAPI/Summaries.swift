import BerthModel

/// A line of progress: one network, volume, image or container and what
/// happens to it, as docker compose shows it (`Container web-1  Started  0.3s`).
public struct ProgressEvent: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        case network = "Network", volume = "Volume", container = "Container", image = "Image", layer = "Layer"
    }
    public var kind: Kind
    public var name: String
    /// docker compose's words: Creating, Created, Starting, Started, Waiting, Healthy, Exited, Stopping,
    /// Stopped, Removing, Removed, Recreate, Recreated, Running, Error.
    public var status: String
    /// True when `status` is the end of this object's work in this command.
    public var done: Bool
    /// Seconds since this object's work began.
    public var elapsed: Double
    /// What went wrong, for `Error`.
    public var detail: String?
    /// For an image's layer: bytes moved so far and in all.
    public var current: Int64?
    public var total: Int64?

    public init(kind: Kind, name: String, status: String, done: Bool, elapsed: Double = 0, detail: String? = nil) {
        self.kind = kind
        self.name = name
        self.status = status
        self.done = done
        self.elapsed = elapsed
        self.detail = detail
    }
}

/// A published port as bound.
public struct PublisherSummary: Codable, Sendable, Hashable {
    public var url: String
    public var targetPort: Int
    public var publishedPort: Int
    public var `protocol`: String

    enum CodingKeys: String, CodingKey {
        case url = "URL", targetPort = "TargetPort", publishedPort = "PublishedPort", `protocol` = "Protocol"
    }

    public init(url: String, targetPort: Int, publishedPort: Int, protocol: String) {
        self.url = url
        self.targetPort = targetPort
        self.publishedPort = publishedPort
        self.protocol = `protocol`
    }
}

/// The last probes of a healthcheck.
public struct ProbeSummary: Codable, Sendable, Hashable {
    public var start: Double
    public var end: Double
    public var exitCode: Int32
    public var output: String

    enum CodingKeys: String, CodingKey { case start = "Start", end = "End", exitCode = "ExitCode", output = "Output" }

    public init(start: Double, end: Double, exitCode: Int32, output: String) {
        self.start = start
        self.end = end
        self.exitCode = exitCode
        self.output = output
    }
}

/// One container as `ps --format json` shows it, with docker compose's
/// field names; the rest is Berth's own (restarts, probes).
public struct ContainerSummary: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var image: String
    public var command: String
    public var project: String
    public var service: String
    /// Seconds since the epoch.
    public var created: Double
    /// `created`, `running`, `exited`, `dead`, `restarting`.
    public var state: String
    /// `Up 3 seconds (healthy)`, `Exited (0) 2 seconds ago`.
    public var status: String
    /// `starting`, `healthy`, `unhealthy` or empty.
    public var health: String
    public var exitCode: Int32
    public var publishers: [PublisherSummary]
    public var labels: [String: String]
    /// Network name → address.
    public var networks: [String: String]
    public var restartCount: Int
    public var failingStreak: Int
    public var probes: [ProbeSummary]

    enum CodingKeys: String, CodingKey {
        case id = "ID", name = "Name", image = "Image", command = "Command", project = "Project", service = "Service"
        case created = "CreatedAt", state = "State", status = "Status", health = "Health", exitCode = "ExitCode"
        case publishers = "Publishers", labels = "Labels", networks = "Networks", restartCount = "RestartCount"
        case failingStreak = "FailingStreak", probes = "Log"
    }

    public init(
        id: String, name: String, image: String, command: String = "", project: String, service: String,
        created: Double, state: String, status: String, health: String = "", exitCode: Int32 = 0,
        publishers: [PublisherSummary] = [], labels: [String: String] = [:], networks: [String: String] = [:],
        restartCount: Int = 0, failingStreak: Int = 0, probes: [ProbeSummary] = []
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.command = command
        self.project = project
        self.service = service
        self.created = created
        self.state = state
        self.status = status
        self.health = health
        self.exitCode = exitCode
        self.publishers = publishers
        self.labels = labels
        self.networks = networks
        self.restartCount = restartCount
        self.failingStreak = failingStreak
        self.probes = probes
    }
}

/// One project, for `berth ls`.
public struct ProjectSummary: Codable, Sendable, Hashable {
    public var name: String
    /// `running(2), exited(1)`.
    public var status: String
    public var configFiles: String

    enum CodingKeys: String, CodingKey { case name = "Name", status = "Status", configFiles = "ConfigFiles" }

    public init(name: String, status: String, configFiles: String) {
        self.name = name
        self.status = status
        self.configFiles = configFiles
    }
}

/// An event for `berth events`: the runtime's and the supervisor's.
public struct EventRecord: Codable, Sendable, Hashable {
    /// RFC 3339.
    public var time: String
    /// `container`.
    public var type: String
    /// `create`, `start`, `die`, `health_status: healthy`, `restart (unhealthy)`, …
    public var action: String
    public var id: String
    public var service: String
    public var attributes: [String: String]

    public init(
        time: String, type: String = "container", action: String, id: String, service: String,
        attributes: [String: String] = [:]
    ) {
        self.time = time
        self.type = type
        self.action = action
        self.id = id
        self.service = service
        self.attributes = attributes
    }
}

/// A process in a container, for `berth top`.
public struct TopEntry: Codable, Sendable, Hashable {
    public var container: String
    /// `ps`'s header, then one row per process.
    public var titles: [String]
    public var processes: [[String]]

    public init(container: String, titles: [String], processes: [[String]]) {
        self.container = container
        self.titles = titles
        self.processes = processes
    }
}

/// An image in berthd's store.
public struct ImageSummary: Codable, Sendable, Hashable {
    public var reference: String
    public var digest: String
    public var size: Int64
    /// `repository@digest` per registry, as docker's `RepoDigests`.
    public var repoDigests: [String]?

    enum CodingKeys: String, CodingKey {
        case reference, digest, size, repoDigests = "RepoDigests"
    }

    public init(reference: String, digest: String, size: Int64, repoDigests: [String]? = nil) {
        self.reference = reference
        self.digest = digest
        self.size = size
        self.repoDigests = repoDigests
    }
}

/// A named volume.
public struct VolumeSummary: Codable, Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var mountpoint: String

    public init(name: String, labels: [String: String], mountpoint: String) {
        self.name = name
        self.labels = labels
        self.mountpoint = mountpoint
    }
}

/// A network.
public struct NetworkSummary: Codable, Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var subnet: String
    public var gateway: String
    public var `internal`: Bool
    /// Container name → address.
    public var containers: [String: String]

    public init(
        name: String, labels: [String: String], subnet: String, gateway: String, internal: Bool,
        containers: [String: String] = [:]
    ) {
        self.name = name
        self.labels = labels
        self.subnet = subnet
        self.gateway = gateway
        self.internal = `internal`
        self.containers = containers
    }
}

/// One container's line of `berth stats`: the CPU share between two
/// readings, the second reading's other figures.
public struct StatsEntry: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    /// Percent of one CPU (docker's CPU %: 200 is two CPUs busy).
    public var cpuPercent: Double
    public var memoryUsage: UInt64
    public var memoryLimit: UInt64
    public var networkReceived: UInt64
    public var networkSent: UInt64
    public var blockRead: UInt64
    public var blockWritten: UInt64
    public var pids: UInt64

    public init(
        id: String, name: String, cpuPercent: Double, memoryUsage: UInt64, memoryLimit: UInt64,
        networkReceived: UInt64, networkSent: UInt64, blockRead: UInt64, blockWritten: UInt64, pids: UInt64
    ) {
        self.id = id
        self.name = name
        self.cpuPercent = cpuPercent
        self.memoryUsage = memoryUsage
        self.memoryLimit = memoryLimit
        self.networkReceived = networkReceived
        self.networkSent = networkSent
        self.blockRead = blockRead
        self.blockWritten = blockWritten
        self.pids = pids
    }
}
