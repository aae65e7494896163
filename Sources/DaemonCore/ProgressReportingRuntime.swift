import BerthModel
import DaemonAPI
import Reconciler
import RuntimeKit

/// Receives progress lines; called from many tasks at once.
public typealias ProgressSink = @Sendable (ProgressEvent) -> Void

/// The runtime as one command's executor sees it, as far as progress goes:
/// each create, start, stop and remove of a container, network or volume
/// reports itself in docker compose's words (`Container web-1  Started
/// 0.3s`) on its way to `base`, and what failed says why.
struct ProgressReportingRuntime: ForwardingRuntime {
    let base: any ContainerRuntime
    /// Where the names of the containers come from: the runtime may give
    /// ids that are not names.
    let containers: ContainerDirectory
    let report: ProgressSink

    func createContainer(_ spec: ContainerSpec) async throws -> ContainerInfo {
        let info = try await timed(.container, spec.name, "Creating", "Created") {
            try await base.createContainer(spec)
        }
        containers.add([info])
        return info
    }

    func startContainer(_ id: String) async throws {
        try await timed(.container, await name(of: id), "Starting", "Started") { try await base.startContainer(id) }
    }

    func stopContainer(_ id: String, signal: String, grace: Int64) async throws {
        try await timed(.container, await name(of: id), "Stopping", "Stopped") {
            try await base.stopContainer(id, signal: signal, grace: grace)
        }
    }

    func removeContainer(_ id: String, force: Bool, keepingAnonymousVolumes: Bool) async throws {
        try await timed(.container, await name(of: id), "Removing", "Removed") {
            try await base.removeContainer(id, force: force, keepingAnonymousVolumes: keepingAnonymousVolumes)
        }
    }

    func createNetwork(_ spec: NetworkSpec) async throws -> NetworkInfo {
        try await timed(.network, spec.name, "Creating", "Created") { try await base.createNetwork(spec) }
    }

    func removeNetwork(_ name: String) async throws {
        try await timed(.network, name, "Removing", "Removed") { try await base.removeNetwork(name) }
    }

    func createVolume(name: String, labels: [String: String]) async throws -> VolumeInfo {
        try await timed(.volume, name, "Creating", "Created") {
            try await base.createVolume(name: name, labels: labels)
        }
    }

    func removeVolume(_ name: String) async throws {
        try await timed(.volume, name, "Removing", "Removed") { try await base.removeVolume(name) }
    }

    private func name(of id: String) async -> String {
        await containers.info(of: id)?.name ?? id
    }

    /// Reports `doing`, runs `body`, then reports `done` with the time it
    /// took, or `Error` with the failure's message. A cancelled command
    /// reports nothing more.
    private func timed<T>(
        _ kind: ProgressEvent.Kind, _ name: String, _ doing: String, _ done: String, _ body: () async throws -> T
    ) async throws -> T {
        let started = ContinuousClock.now
        report(ProgressEvent(kind: kind, name: name, status: doing, done: false))
        do {
            let value = try await body()
            report(ProgressEvent(kind: kind, name: name, status: done, done: true, elapsed: started.secondsElapsed))
            return value
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let detail = (error as? BerthError)?.message ?? "\(error)"
            report(
                ProgressEvent(
                    kind: kind, name: name, status: "Error", done: true, elapsed: started.secondsElapsed, detail: detail
                ))
            throw error
        }
    }
}

/// The executor's gate, reporting `Waiting` and then what the dependency became.
struct ProgressReportingGate: DependencyGate {
    let base: any DependencyGate
    let runtime: any ContainerRuntime
    let project: ProjectName
    let report: ProgressSink

    func waitUntil(service: String, condition: Dependency.Condition) async throws {
        let names =
            (try? await runtime.containers(
                matching: LabelFilter([
                    ComposeLabel.project: project.rawValue, ComposeLabel.service: service,
                ])))?.filter { !$0.isOneOff }.map(\.name).sorted() ?? []
        let started = ContinuousClock.now
        for name in names { report(ProgressEvent(kind: .container, name: name, status: "Waiting", done: false)) }
        do {
            try await base.waitUntil(service: service, condition: condition)
        } catch is CancellationError {
            // Called off because another dependency failed: its error is the news.
            throw CancellationError()
        } catch {
            for name in names {
                report(
                    ProgressEvent(
                        kind: .container, name: name, status: "Error", done: true, elapsed: started.secondsElapsed,
                        detail: (error as? BerthError)?.message))
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
            report(
                ProgressEvent(kind: .container, name: name, status: word, done: true, elapsed: started.secondsElapsed))
        }
    }
}

extension ContinuousClock.Instant {
    /// The seconds from this instant until now, as progress lines print them.
    var secondsElapsed: Double {
        let elapsed = ContinuousClock.now - self
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
