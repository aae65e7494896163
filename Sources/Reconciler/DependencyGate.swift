import BerthModel
import RuntimeKit

/// Blocks a start until a dependency meets its `depends_on` condition.
///
/// The executor only asks; how the answer is found is up to the gate: the
/// runtime's states for `started` and `completed_successfully`, the
/// supervisor's probes for `healthy`. A gate throws as soon as the condition
/// can no longer be met, naming the dependency, so `up` fails fast instead
/// of waiting for a timeout.
public protocol DependencyGate: Sendable {
    /// Returns once every container of `service` meets `condition`.
    func waitUntil(service: String, condition: Dependency.Condition) async throws
}

/// A dependency's container's health as the gate reads it: docker's
/// states (the Supervisor's `HealthStatus`, which this target cannot see)
/// and `none` for a container that has no healthcheck.
public enum DependencyHealth: String, Sendable, Hashable {
    /// Probes have not passed yet (within `start_period`, or not run).
    case starting
    case healthy
    case unhealthy
    /// The container has no healthcheck, so it can never be healthy.
    case none
}

/// Where the health of containers comes from: the supervisor runs the
/// probes; tests answer directly.
public protocol HealthSource: Sendable {
    /// The current health of one container.
    func health(of container: ContainerInfo) async throws -> DependencyHealth
}

/// What a look at a dependency's containers says about a condition.
public enum GateVerdict: Sendable, Hashable {
    /// The condition holds.
    case met
    /// Not yet; why, for the timeout message.
    case pending(String)
    /// It can no longer hold; why.
    case failed(String)
}

/// The gate over the runtime: polls `containers(matching:)` until the
/// condition holds, fails, or the timeout passes. `healthy` needs a
/// `HealthSource`; without one it fails, saying so.
public struct RuntimeDependencyGate: DependencyGate {
    public let project: ProjectName
    public let runtime: any ContainerRuntime
    public let health: (any HealthSource)?
    /// Time between looks; polling, because a state can be reached before
    /// a subscription to events would be in place.
    public let pollInterval: Duration
    /// nil waits for ever, as docker compose does without `--wait-timeout`.
    public let timeout: Duration?

    /// A gate for one project.
    public init(
        project: ProjectName, runtime: any ContainerRuntime, health: (any HealthSource)? = nil,
        pollInterval: Duration = .milliseconds(250), timeout: Duration? = nil
    ) {
        self.project = project
        self.runtime = runtime
        self.health = health
        self.pollInterval = pollInterval
        self.timeout = timeout
    }

    public func waitUntil(service: String, condition: Dependency.Condition) async throws {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        let filter = LabelFilter([
            ComposeLabel.project: project.rawValue, ComposeLabel.service: service, ComposeLabel.oneoff: "False",
        ])
        while true {
            try Task.checkCancellation()
            let containers = try await runtime.containers(matching: filter)
            var statuses: [String: DependencyHealth] = [:]
            if condition == .healthy, let health {
                for container in containers where container.state.isRunning {
                    statuses[container.id] = try await health.health(of: container)
                }
            }
            let verdict = Self.verdict(
                service: service, condition: condition, containers: containers, health: health == nil ? nil : statuses)
            switch verdict {
            case .met:
                return
            case .failed(let why):
                throw BerthError(.dependencyFailed, "dependency \(service) \(Self.goal(condition)): \(why)")
            case .pending(let why):
                if let deadline, let timeout, clock.now >= deadline {
                    let message = "dependency \(service) \(Self.goal(condition)): timed out after \(timeout) (\(why))"
                    throw BerthError(.dependencyFailed, message)
                }
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// `did not start`, `did not become healthy`, `did not complete successfully`.
    static func goal(_ condition: Dependency.Condition) -> String {
        switch condition {
        case .started: return "did not start"
        case .healthy: return "did not become healthy"
        case .completedSuccessfully: return "did not complete successfully"
        }
    }

    /// The decision, apart from the polling: every container must meet the
    /// condition; one that cannot any more fails the whole service.
    /// `health` is nil when no health source is configured.
    public static func verdict(
        service: String, condition: Dependency.Condition, containers: [ContainerInfo],
        health: [String: DependencyHealth]?
    ) -> GateVerdict {
        guard !containers.isEmpty else { return .failed("service \(service) has no container") }
        var waiting: [String] = []
        for container in containers.sorted(by: { $0.name < $1.name }) {
            let name = "container \(container.name)"
            switch (condition, container.state) {
            case (_, .dead):
                return .failed("\(name) is dead")
            case (.started, .running), (.started, .exited):
                // It did start; docker compose asks no more of service_started.
                continue
            case (.completedSuccessfully, .exited(let code)):
                if code != 0 { return .failed("\(name) exited with code \(code)") }
            case (.healthy, .exited(let code)):
                return .failed("\(name) exited with code \(code)")
            case (.healthy, .running):
                guard let health else {
                    return .failed("no health source to read the health of \(name) from")
                }
                switch health[container.id] ?? .starting {
                case .healthy: continue
                case .unhealthy: return .failed("\(name) is unhealthy")
                case .none: return .failed("\(name) has no healthcheck")
                case .starting: waiting.append("\(name) is starting")
                }
            case (_, .created):
                waiting.append("\(name) is not started")
            case (.completedSuccessfully, .running):
                waiting.append("\(name) is running")
            }
        }
        return waiting.isEmpty ? .met : .pending(waiting.joined(separator: "; "))
    }
}
