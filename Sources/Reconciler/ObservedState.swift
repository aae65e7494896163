import BerthModel
import RuntimeKit

/// What exists on the host for one project, read once.
///
/// The planner decides from this snapshot only, never from a second look at
/// the runtime, so a plan is reproducible from its inputs and printable
/// before anything runs (docker compose's `observed_state.go`). Everything is
/// found by the `com.docker.compose.project` label, so nothing has to be
/// remembered in memory between runs: a restarted berthd sees what its
/// predecessor made.
public struct ObservedState: Sendable, Hashable {
    /// The project the snapshot was taken for.
    public var project: ProjectName
    /// The project's containers, one-off ones included, sorted by name.
    public var containers: [ContainerInfo]
    /// The project's networks, sorted by name.
    public var networks: [NetworkInfo]
    /// The project's volumes, sorted by name.
    public var volumes: [VolumeInfo]

    /// A snapshot from known parts (tests, and the daemon's cached state).
    public init(
        project: ProjectName, containers: [ContainerInfo] = [], networks: [NetworkInfo] = [],
        volumes: [VolumeInfo] = []
    ) {
        self.project = project
        self.containers = containers.sorted { $0.name < $1.name }
        self.networks = networks.sorted { $0.name < $1.name }
        self.volumes = volumes.sorted { $0.name < $1.name }
    }

    /// Reads the project's containers, networks and volumes from `runtime`.
    ///
    /// The three lists are asked for concurrently so that the snapshot spans
    /// as short a moment as the runtime allows.
    public static func observe(project: ProjectName, runtime: any ContainerRuntime) async throws -> ObservedState {
        let filter = LabelFilter.project(project.rawValue)
        async let containers = runtime.containers(matching: filter)
        async let networks = runtime.networks(matching: filter)
        async let volumes = runtime.volumes(matching: filter)
        return try await ObservedState(
            project: project, containers: containers, networks: networks, volumes: volumes)
    }

    /// The service containers (not one-off ones) of `service`, by replica
    /// number; containers without a readable number come last, by name.
    public func replicas(of service: String) -> [ContainerInfo] {
        containers
            .filter { $0.composeService == service && !$0.isOneOff }
            .sorted { lhs, rhs in
                switch (lhs.replicaNumber, rhs.replicaNumber) {
                case let (l?, r?): return l == r ? lhs.name < rhs.name : l < r
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return lhs.name < rhs.name
                }
            }
    }

    /// Containers whose service label names a service that `known` lacks.
    /// One-off containers (`berth run`) belong to their service's owner and
    /// are never orphans; containers without a service label were not made
    /// for a service and are left alone.
    public func orphans(knownServices known: Set<String>) -> [ContainerInfo] {
        containers.filter { info in
            guard let service = info.composeService, !info.isOneOff else { return false }
            return !known.contains(service)
        }
    }

    /// The network with this host name, if the project has one.
    public func network(named name: String) -> NetworkInfo? {
        networks.first { $0.name == name }
    }

    /// The volume with this host name, if the project has one.
    public func volume(named name: String) -> VolumeInfo? {
        volumes.first { $0.name == name }
    }
}

/// The compose view of a container: what its labels say about it.
extension ContainerInfo {
    /// The `com.docker.compose.service` label.
    public var composeService: String? { labels[ComposeLabel.service] }

    /// The replica number from `com.docker.compose.container-number`; nil
    /// when the label is missing or not a positive number.
    public var replicaNumber: Int? {
        guard let text = labels[ComposeLabel.containerNumber], let number = Int(text), number > 0 else {
            return nil
        }
        return number
    }

    /// The `com.docker.compose.config-hash` label.
    public var configHash: String? { labels[ComposeLabel.configHash] }

    /// True for a `run` container (`oneoff=True`); docker compose writes
    /// `True`/`False`, and older tools wrote lower case.
    public var isOneOff: Bool { labels[ComposeLabel.oneoff]?.lowercased() == "true" }

    /// The dependencies recorded in `com.docker.compose.depends_on` when
    /// the container was made, so `down` without a compose file can still
    /// stop dependents first.
    public var recordedDependencies: [RecordedDependency] {
        RecordedDependency.parse(labels[ComposeLabel.dependsOn] ?? "")
    }
}

/// One entry of the `com.docker.compose.depends_on` label:
/// `service:condition:restart`, entries joined by commas (docker compose's
/// format; `required` is not recorded there).
public struct RecordedDependency: Sendable, Hashable {
    /// The service depended on.
    public var service: String
    /// The condition that gated the start.
    public var condition: Dependency.Condition
    /// Whether the dependent restarts when the dependency is recreated.
    public var restart: Bool

    /// An entry from its parts.
    public init(service: String, condition: Dependency.Condition, restart: Bool) {
        self.service = service
        self.condition = condition
        self.restart = restart
    }

    /// The label text for a service's `depends_on`, entries sorted by
    /// service so the label is stable.
    public static func label(_ dependsOn: [String: Dependency]) -> String {
        dependsOn.keys.sorted().compactMap { name in
            dependsOn[name].map { "\(name):\($0.condition.rawValue):\($0.restart)" }
        }.joined(separator: ",")
    }

    /// Entries of a label; malformed entries are skipped, since a label is
    /// only a hint for ordering and must not stop a `down`.
    public static func parse(_ text: String) -> [RecordedDependency] {
        text.split(separator: ",").compactMap { entry in
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard let name = parts.first, !name.isEmpty else { return nil }
            let condition = parts.count > 1 ? Dependency.Condition(rawValue: parts[1]) ?? .started : .started
            let restart = parts.count > 2 && parts[2] == "true"
            return RecordedDependency(service: name, condition: condition, restart: restart)
        }
    }
}
