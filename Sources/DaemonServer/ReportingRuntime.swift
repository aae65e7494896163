import BerthModel
import DaemonAPI
import Foundation
import Reconciler
import RuntimeKit
import Supervisor
import Synchronization

/// Receives progress lines; called from many tasks at once.
public typealias ProgressSink = @Sendable (ProgressEvent) -> Void

/// The runtime as one command's executor sees it: every call passes through
/// to the real runtime, and on its way reports progress in docker compose's
/// words (`Container web-1  Started  0.3s`) and keeps the supervisor in step:
/// a container the plan starts is supervised from that moment (so probes run
/// while dependents wait for `service_healthy`), one the plan stops is a
/// user's stop (never restarted), and one it removes is forgotten.
struct ReportingRuntime: ContainerRuntime {
    let base: any ContainerRuntime
    let supervisor: SupervisorService
    /// The project whose services the started containers belong to; nil
    /// when the command has no compose file (`down -p`).
    let project: Project?
    let report: ProgressSink
    /// The containers this command has met, by id.
    private let known = KnownContainers()

    private func timed<T>(
        _ kind: ProgressEvent.Kind, _ name: String, _ doing: String, _ done: String, _ body: () async throws -> T
    ) async throws -> T {
        let started = ContinuousClock.now
        report(ProgressEvent(kind: kind, name: name, status: doing, done: false))
        do {
            let value = try await body()
            report(ProgressEvent(kind: kind, name: name, status: done, done: true, elapsed: Self.seconds(since: started)))
            return value
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let detail = (error as? BerthError)?.message ?? "\(error)"
            report(ProgressEvent(
                kind: kind, name: name, status: "Error", done: true, elapsed: Self.seconds(since: started), detail: detail))
            throw error
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The container as the runtime lists it: its name for the progress line
    /// (runtimes may give ids that are not names), its service and image for
    /// the supervisor. Listed once for the whole command, not once a step
    /// (a 20-container `down` made 40 listings of every container).
    func info(of id: String) async -> ContainerInfo? {
        if let info = known[id] { return info }
        guard let all = try? await base.containers(matching: LabelFilter()) else { return nil }
        known.add(all)
        return known[id]
    }

    func image(_ reference: String) async throws -> ImageInfo { try await base.image(reference) }
    func images() async throws -> [ImageInfo] { try await base.images() }

    func createContainer(_ spec: ContainerSpec) async throws -> ContainerInfo {
        let info = try await timed(.container, spec.name, "Creating", "Created") { try await base.createContainer(spec) }
        known.add([info])
        return info
    }

    func startContainer(_ id: String) async throws {
        let info = await info(of: id)
        try await timed(.container, info?.name ?? id, "Starting", "Started") {
            try await base.startContainer(id)
            if let info { await supervise(info) }
        }
    }

    /// Hands a just-started container to the supervisor, with its service's
    /// healthcheck, restart policy and dependencies.
    func supervise(_ info: ContainerInfo) async {
        guard let project, let name = info.composeService, let service = project.services[name] else { return }
        await supervisor.register(await DaemonService.supervised(info, service: service, runtime: base))
    }

    func killContainer(_ id: String, signal: String) async throws {
        try await supervisor.kill(id, signal: signal)
    }

    func stopContainer(_ id: String, signal: String, grace: Int64) async throws {
        try await timed(.container, await info(of: id)?.name ?? id, "Stopping", "Stopped") {
            if await supervisor.status(of: id) != nil {
                try await supervisor.stop(id)
            } else {
                try await base.stopContainer(id, signal: signal, grace: grace)
            }
        }
    }

    func removeContainer(_ id: String, force: Bool, keepingAnonymousVolumes: Bool) async throws {
        try await timed(.container, await info(of: id)?.name ?? id, "Removing", "Removed") {
            await supervisor.unregister(id)
            try await base.removeContainer(id, force: force, keepingAnonymousVolumes: keepingAnonymousVolumes)
        }
    }

    func containers(matching filter: LabelFilter) async throws -> [ContainerInfo] {
        try await base.containers(matching: filter)
    }

    func waitContainer(_ id: String) async throws -> Int32 { try await base.waitContainer(id) }
    func exec(_ id: String, _ spec: ExecSpec) async throws -> ExecResult { try await base.exec(id, spec) }
    func exec(_ id: String, _ spec: ExecSpec, output: @escaping @Sendable (ExecStream, [UInt8]) -> Void)
        async throws -> Int32
    {
        try await base.exec(id, spec, output: output)
    }

    func createNetwork(_ spec: NetworkSpec) async throws -> NetworkInfo {
        try await timed(.network, spec.name, "Creating", "Created") { try await base.createNetwork(spec) }
    }

    func removeNetwork(_ name: String) async throws {
        try await timed(.network, name, "Removing", "Removed") { try await base.removeNetwork(name) }
    }

    func networks(matching filter: LabelFilter) async throws -> [NetworkInfo] {
        try await base.networks(matching: filter)
    }

    func createVolume(name: String, labels: [String: String]) async throws -> VolumeInfo {
        try await timed(.volume, name, "Creating", "Created") { try await base.createVolume(name: name, labels: labels) }
    }

    func removeVolume(_ name: String) async throws {
        try await timed(.volume, name, "Removing", "Removed") { try await base.removeVolume(name) }
    }

    func volumes(matching filter: LabelFilter) async throws -> [VolumeInfo] {
        try await base.volumes(matching: filter)
    }

    func events() async -> AsyncStream<RuntimeEvent> { await base.events() }
}

/// The executor's gate, reporting `Waiting` and then what the dependency became.
struct ReportingGate: DependencyGate {
    let base: any DependencyGate
    let runtime: any ContainerRuntime
    let project: ProjectName
    let report: ProgressSink

    func waitUntil(service: String, condition: Dependency.Condition) async throws {
        let names = (try? await runtime.containers(matching: LabelFilter([
            ComposeLabel.project: project.rawValue, ComposeLabel.service: service,
        ])))?.filter { !$0.isOneOff }.map(\.name).sorted() ?? []
        let started = ContinuousClock.now
        for name in names { report(ProgressEvent(kind: .container, name: name, status: "Waiting", done: false)) }
        do {
            try await base.waitUntil(service: service, condition: condition)
        } catch {
            for name in names {
                report(ProgressEvent(
                    kind: .container, name: name, status: "Error", done: true,
                    elapsed: ReportingRuntime.seconds(since: started), detail: (error as? BerthError)?.message))
            }
            throw error
        }
        let word: String
        switch condition {
        case .started: word = "Started"
        case .healthy: word = "Healthy"
        case .completedSuccessfully: word = "Exited"
        }
        for name in names {
            report(ProgressEvent(
                kind: .container, name: name, status: word, done: true, elapsed: ReportingRuntime.seconds(since: started)))
        }
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

/// What a `ReportingRuntime` has learnt of containers: names, labels and
/// images, which do not change while a command runs. Its steps run in
/// parallel, so behind a lock.
private final class KnownContainers: Sendable {
    private let byID = Mutex<[String: ContainerInfo]>([:])

    subscript(id: String) -> ContainerInfo? { byID.withLock { $0[id] } }

    func add(_ infos: [ContainerInfo]) {
        byID.withLock { table in
            for info in infos { table[info.id] = info }
        }
    }
}
