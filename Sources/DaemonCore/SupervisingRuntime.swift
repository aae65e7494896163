import BerthModel
import Reconciler
import RuntimeKit
import Supervisor

/// The runtime as one command's executor sees it, as far as the supervisor
/// goes: a container the plan starts is supervised from that moment (so
/// probes run while dependents wait for `service_healthy`), one the plan
/// stops is a user's stop (never restarted), one it kills is killed through
/// the supervisor, and one it removes is forgotten.
struct SupervisingRuntime: ForwardingRuntime {
    let base: any ContainerRuntime
    let supervisor: SupervisorService
    /// The project whose services the started containers belong to; nil
    /// when the command has no compose file (`down -p`).
    let project: Project?
    /// Where a started container's service and image come from.
    let containers: ContainerDirectory

    func createContainer(_ spec: ContainerSpec) async throws -> ContainerInfo {
        let info = try await base.createContainer(spec)
        containers.add([info])
        return info
    }

    /// Starts the container, then hands it to the supervisor with its
    /// service's healthcheck, restart policy and dependencies.
    func startContainer(_ id: String) async throws {
        let info = await containers.info(of: id)
        try await base.startContainer(id)
        guard let info, let project, let name = info.composeService, let service = project.services[name] else {
            return
        }
        await supervisor.register(await Self.supervised(info, service: service, runtime: base))
    }

    func killContainer(_ id: String, signal: String) async throws {
        try await supervisor.kill(id, signal: signal)
    }

    /// A supervised container stops through the supervisor, which then
    /// knows not to restart it; with the signal and grace the caller chose
    /// (the service's, or `-t`).
    func stopContainer(_ id: String, signal: String, grace: Int64) async throws {
        if await supervisor.status(of: id) != nil {
            try await supervisor.stop(id, signal: signal, grace: grace)
        } else {
            try await base.stopContainer(id, signal: signal, grace: grace)
        }
    }

    func removeContainer(_ id: String, force: Bool, keepingAnonymousVolumes: Bool) async throws {
        await supervisor.unregister(id)
        try await base.removeContainer(id, force: force, keepingAnonymousVolumes: keepingAnonymousVolumes)
    }

    /// What the supervisor needs of a container: its service's healthcheck,
    /// with the image's `HEALTHCHECK` test (and timings the service leaves
    /// unset) when the service names no test of its own, as docker does.
    static func supervised(_ info: ContainerInfo, service: Service, runtime: any ContainerRuntime) async
        -> SupervisedContainer
    {
        var container = SupervisedContainer(id: info.id, name: info.name, service: service)
        guard service.healthcheck?.test == nil, !(service.healthcheck?.disable ?? false),
            let image = try? await runtime.image(info.image).healthcheck
        else { return container }
        var merged = service.healthcheck ?? Healthcheck()
        merged.test = image.test
        merged.interval = merged.interval ?? image.interval
        merged.timeout = merged.timeout ?? image.timeout
        merged.retries = merged.retries ?? image.retries
        merged.startPeriod = merged.startPeriod ?? image.startPeriod
        merged.startInterval = merged.startInterval ?? image.startInterval
        container.healthcheck = merged
        return container
    }
}

/// The health the dependency gate reads: the supervisor's probes. An
/// unhealthy container that the supervisor is about to restart still counts
/// as starting, so `up` waits for it rather than failing on a blip.
struct SupervisorHealth: HealthSource {
    let supervisor: SupervisorService

    func health(of container: ContainerInfo) async throws -> Reconciler.DependencyHealth {
        guard let status = await supervisor.status(of: container.id) else { return .starting }
        guard let health = status.health else { return .none }
        switch health.status {
        case .starting: return .starting
        case .healthy: return .healthy
        case .unhealthy:
            if case .restarting = status.restart.state { return .starting }
            let restarts = status.container.restart != .no && status.container.restartOnUnhealthy
            return restarts ? .starting : .unhealthy
        }
    }
}
