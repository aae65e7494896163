import BerthModel

/// The supervisor's view of one service: enough to decide which dependents
/// to restart, and nothing the runtime would have to be asked for.
public struct ServiceView: Sendable, Hashable, Codable {
    public var name: String
    /// The service's `depends_on`, as the compose file gave it.
    public var dependsOn: [String: Dependency]
    /// Every supervised container of the service runs.
    public var isRunning: Bool
    /// Every supervised container of the service has a healthcheck and is healthy.
    public var isHealthy: Bool
    /// Goes up by one each time the supervisor restarts a container of the service.
    public var restartGeneration: Int
    /// For each dependency, its `restartGeneration` when this service last
    /// started (or was restarted for it): a higher one means "restarted since".
    public var seenGenerations: [String: Int]

    /// A view; every count starts at zero.
    public init(
        name: String, dependsOn: [String: Dependency] = [:], isRunning: Bool = true, isHealthy: Bool = false,
        restartGeneration: Int = 0, seenGenerations: [String: Int] = [:]
    ) {
        self.name = name
        self.dependsOn = dependsOn
        self.isRunning = isRunning
        self.isHealthy = isHealthy
        self.restartGeneration = restartGeneration
        self.seenGenerations = seenGenerations
    }
}

/// One dependent to restart, and the dependency generations it will then have seen.
public struct DependentRestart: Sendable, Hashable, Codable {
    public var service: String
    /// Dependency name → the generation to record once the restart is done.
    public var dependencies: [String: Int]

    /// A restart of `service` for the given dependency generations.
    public init(service: String, dependencies: [String: Int]) {
        self.service = service
        self.dependencies = dependencies
    }

    /// The first dependency by name, for the restart's reason.
    public var cause: String { dependencies.keys.sorted().first ?? "" }
}

/// Berth's reading of `depends_on: {X: {restart: true}}` for a daemon.
///
/// Compose restarts such a dependent when compose itself restarts X. A
/// supervisor restarts X on its own (an exit, an unhealthy turn), so Berth
/// restarts the dependent once X is back in the state the dependency asks
/// for: healthy for `service_healthy`, running for `service_started`.
/// `service_completed_successfully` dependencies are jobs, never restarted
/// for. A dependent the user stopped is left alone.
///
/// Level-triggered like the reconciler: the answer depends only on the views,
/// so asking twice without acting gives the same list, and acting (recording
/// `dependencies` in `seenGenerations`) makes it empty.
public enum DependentRestarts {
    /// The dependents to restart now, sorted by service name.
    public static func decide(_ views: [ServiceView]) -> [DependentRestart] {
        let byName = Dictionary(views.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var restarts: [DependentRestart] = []
        for view in views.sorted(by: { $0.name < $1.name }) where view.isRunning {
            var due: [String: Int] = [:]
            for (name, dependency) in view.dependsOn where dependency.restart {
                guard let target = byName[name], target.restartGeneration > (view.seenGenerations[name] ?? 0) else {
                    continue
                }
                switch dependency.condition {
                case .healthy where target.isHealthy, .started where target.isRunning:
                    due[name] = target.restartGeneration
                case .healthy, .started, .completedSuccessfully:
                    continue
                }
            }
            if !due.isEmpty { restarts.append(DependentRestart(service: view.name, dependencies: due)) }
        }
        return restarts
    }
}

/// The supervisor's side: its view of the services, and acting on the decision.
extension SupervisorService {
    /// The supervisor's view of every service it has containers of.
    public func serviceViews() -> [ServiceView] {
        let byService = Dictionary(grouping: entries.values, by: \.container.service)
        return byService.keys.sorted().compactMap { service in
            guard let members = byService[service], let first = members.first else { return nil }
            let running = members.allSatisfy {
                if case .running = $0.restart.state { return true }
                return false
            }
            let healthy = members.allSatisfy { $0.health?.status == .healthy }
            return ServiceView(
                name: service, dependsOn: first.container.dependsOn, isRunning: running, isHealthy: healthy,
                restartGeneration: generations[service] ?? 0, seenGenerations: seen[service] ?? [:])
        }
    }

    /// Restarts the dependents whose dependency is back after a restart.
    func reviewDependents() {
        let now = clock.now
        for restart in DependentRestarts.decide(serviceViews()) {
            seen[restart.service, default: [:]].merge(restart.dependencies) { max($0, $1) }
            let members = entries.values.filter { $0.container.service == restart.service }.map(\.container)
            for container in members.sorted(by: { $0.name < $1.name }) {
                applyRestart(container.id, .dependencyRestarted(service: restart.cause, at: now))
            }
        }
    }

    /// A service that starts afresh has seen every restart of its dependencies so far.
    func catchUpDependencies(of service: String) {
        guard let dependsOn = entries.values.first(where: { $0.container.service == service })?.container.dependsOn
        else { return }
        for dependency in dependsOn.keys {
            seen[service, default: [:]][dependency] = generations[dependency] ?? 0
        }
    }
}
