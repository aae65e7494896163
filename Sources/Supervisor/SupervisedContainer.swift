import BerthModel
import RuntimeKit

/// One container handed to the supervisor, with what it needs from its service.
///
/// The runtime knows containers, not services; the daemon builds this from
/// the `Service` the container was made from (`init(id:name:service:)`).
public struct SupervisedContainer: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    /// The compose service, for `depends_on` and the event log.
    public var service: String
    /// With the image's test already filled in when the service's is nil:
    /// the supervisor cannot read images, so a nil `test` means no probe.
    public var healthcheck: Healthcheck?
    public var restart: RestartPolicy
    public var restartOnUnhealthy: Bool
    /// Sent first when the supervisor restarts the container.
    public var stopSignal: String
    /// Nanoseconds between the stop signal and SIGKILL.
    public var stopGracePeriod: Int64
    public var dependsOn: [String: Dependency]

    /// A container with every field given; docker's SIGTERM and ten seconds by default.
    public init(
        id: String, name: String, service: String, healthcheck: Healthcheck? = nil, restart: RestartPolicy = .no,
        restartOnUnhealthy: Bool = true, stopSignal: String = "SIGTERM", stopGracePeriod: Int64 = 10_000_000_000,
        dependsOn: [String: Dependency] = [:]
    ) {
        self.id = id
        self.name = name
        self.service = service
        self.healthcheck = healthcheck
        self.restart = restart
        self.restartOnUnhealthy = restartOnUnhealthy
        self.stopSignal = stopSignal
        self.stopGracePeriod = stopGracePeriod
        self.dependsOn = dependsOn
    }

    /// A container of `service`, taking its healthcheck, restart policy, stop settings and dependencies.
    public init(id: String, name: String, service: Service) {
        self.init(
            id: id, name: name, service: service.name, healthcheck: service.healthcheck, restart: service.restart,
            restartOnUnhealthy: service.restartOnUnhealthy, stopSignal: service.stopSignal ?? "SIGTERM",
            stopGracePeriod: service.stopGracePeriod ?? 10_000_000_000, dependsOn: service.dependsOn)
    }

    /// The probe's command line as docker builds it, or nil when no probe runs:
    /// no healthcheck, disabled, `NONE`, or a type docker does not know.
    public var probeCommand: [String]? {
        guard let healthcheck, !healthcheck.isDisabled, let test = healthcheck.test, let kind = test.first else {
            return nil
        }
        let arguments = Array(test.dropFirst())
        switch kind {
        case "CMD" where !arguments.isEmpty: return arguments
        // docker appends every element after CMD-SHELL to the shell's argv.
        case "CMD-SHELL" where !arguments.isEmpty: return ["/bin/sh", "-c"] + arguments
        default: return nil
        }
    }

    /// The timing of the probes, when one runs.
    public var healthConfig: HealthConfig? {
        guard probeCommand != nil, let healthcheck else { return nil }
        return HealthConfig(healthcheck)
    }
}

/// What `ps` and `inspect` show about one supervised container.
public struct ContainerStatus: Sendable, Hashable, Codable {
    public var container: SupervisedContainer
    /// nil when the container has no healthcheck.
    public var health: HealthMachine?
    public var restart: RestartMachine

    /// A status from the container and its machines.
    public init(container: SupervisedContainer, health: HealthMachine?, restart: RestartMachine) {
        self.container = container
        self.health = health
        self.restart = restart
    }

    /// docker's `ps` wording of the health, `(healthy)`, `(health: starting)`, or nil.
    public var healthText: String? {
        guard let status = health?.status else { return nil }
        return status == .starting ? "health: starting" : status.rawValue
    }
}

/// Something the supervisor did or saw, for `berth events` and the daemon's log.
public struct SupervisorEvent: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Sendable, Hashable, Codable {
        /// The health status changed (docker's `health_status: healthy` event).
        case healthStatus(HealthStatus)
        /// The supervisor starts the container again, having waited `after`.
        case restart(reason: RestartReason, after: Duration)
        /// The supervisor's start of the container failed; it stays down.
        case restartFailed(message: String)
    }

    public var time: Timestamp
    public var containerID: String
    public var containerName: String
    public var service: String
    public var kind: Kind

    /// An event about one container of `service`.
    public init(time: Timestamp, containerID: String, containerName: String, service: String, kind: Kind) {
        self.time = time
        self.containerID = containerID
        self.containerName = containerName
        self.service = service
        self.kind = kind
    }

    /// The action as `docker events` spells its own: `health_status: healthy`, `restart (unhealthy)`.
    public var action: String {
        switch kind {
        case .healthStatus(let status): return "health_status: \(status.rawValue)"
        case .restart(let reason, _): return "restart (\(reason))"
        case .restartFailed(let message): return "restart failed: \(message)"
        }
    }

    public var description: String { "\(containerName) \(action)" }
}
