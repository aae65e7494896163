/// A loaded, validated compose project: what `berth config` prints and what
/// the daemon is asked to bring up. Everything is in long form.
public struct Project: Sendable, Hashable, Codable {
    /// The project name (`-p`, `COMPOSE_PROJECT_NAME`, `name:` or the directory).
    public var name: ProjectName
    /// Where relative paths were resolved from.
    public var workingDirectory: String
    /// Services by name.
    public var services: [String: Service]
    public var networks: [String: Network]
    public var volumes: [String: Volume]
    public var secrets: [String: FileObject]
    public var configs: [String: FileObject]
    /// The profiles that were active when the project was loaded.
    public var activeProfiles: [String]
    /// The dependency graph of the services.
    public var graph: DependencyGraph
    /// The compose files it was loaded from, absolute, as docker's
    /// `com.docker.compose.project.config_files` label lists them; nil for
    /// a project made another way.
    public var configFiles: [String]?

    public init(
        name: ProjectName, workingDirectory: String, services: [String: Service], networks: [String: Network],
        volumes: [String: Volume], secrets: [String: FileObject], configs: [String: FileObject],
        activeProfiles: [String], graph: DependencyGraph
    ) {
        self.name = name
        self.workingDirectory = workingDirectory
        self.services = services
        self.networks = networks
        self.volumes = volumes
        self.secrets = secrets
        self.configs = configs
        self.activeProfiles = activeProfiles
        self.graph = graph
    }

    /// Service names, sorted.
    public var serviceNames: [String] { services.keys.sorted() }
}

/// A top-level network.
public struct Network: Sendable, Hashable, Codable {
    /// The name on the host (`<project>_<key>` unless `name:` or external).
    public var name: String
    public var driver: String?
    public var driverOptions: [String: String]
    public var external: Bool
    public var `internal`: Bool
    public var enableIPv6: Bool
    public var labels: [String: String]
    public var ipam: [IPAMConfig]

    public init(
        name: String, driver: String? = nil, driverOptions: [String: String] = [:], external: Bool = false,
        internal: Bool = false, enableIPv6: Bool = false, labels: [String: String] = [:], ipam: [IPAMConfig] = []
    ) {
        self.name = name
        self.driver = driver
        self.driverOptions = driverOptions
        self.external = external
        self.internal = `internal`
        self.enableIPv6 = enableIPv6
        self.labels = labels
        self.ipam = ipam
    }
}

/// One `ipam.config` entry.
public struct IPAMConfig: Sendable, Hashable, Codable {
    public var subnet: String?
    public var gateway: String?
    public var ipRange: String?

    public init(subnet: String? = nil, gateway: String? = nil, ipRange: String? = nil) {
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
    }
}

/// A top-level named volume.
public struct Volume: Sendable, Hashable, Codable {
    /// The name on the host (`<project>_<key>` unless `name:` or external).
    public var name: String
    public var driver: String?
    public var driverOptions: [String: String]
    public var external: Bool
    public var labels: [String: String]

    public init(
        name: String, driver: String? = nil, driverOptions: [String: String] = [:], external: Bool = false,
        labels: [String: String] = [:]
    ) {
        self.name = name
        self.driver = driver
        self.driverOptions = driverOptions
        self.external = external
        self.labels = labels
    }
}

/// A top-level secret or config.
public struct FileObject: Sendable, Hashable, Codable {
    /// Where the content comes from.
    public enum Source: Sendable, Hashable, Codable {
        case file(String)
        case environment(String)
        case content(String)
        case external
    }

    public var name: String
    public var source: Source
    public var labels: [String: String]
    /// For `environment:`, the variable's value when the file was loaded
    /// (the CLI's environment, which berthd does not have); nil: unset.
    public var environmentValue: String?

    public init(name: String, source: Source, labels: [String: String] = [:]) {
        self.name = name
        self.source = source
        self.labels = labels
    }
}

extension Project {
    /// The image a service runs: its `image:`, else `<project>-<service>`,
    /// the name docker compose gives the image it builds for it.
    public func imageName(of service: Service) -> String {
        service.image ?? "\(name.rawValue)-\(service.name)"
    }
}
