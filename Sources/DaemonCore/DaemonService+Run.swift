import BerthModel
import DaemonAPI
import Foundation
import Reconciler
import RuntimeKit

extension DaemonService {
    /// `berth run`: brings the service's dependencies up (unless
    /// `--no-deps`), then creates a one-off container of the service named
    /// `<project>-<service>-run-<hex>`, labelled `oneoff=True` (so `up` and
    /// `down` know it is not a replica), without the service's ports unless
    /// `--service-ports`, starts it and streams its output until it exits.
    public func run(_ request: RunRequest, send: @escaping @Sendable (RunOutput) -> Void) async throws -> RunResult {
        let project = request.project
        guard let service = project.services[request.service] else {
            throw BerthError(.notFound, "no such service: \(request.service)")
        }
        if !request.noDeps, !service.dependsOn.isEmpty {
            let dependencies = service.dependsOn.keys.sorted()
            _ = try await up(UpRequest(project: project, services: dependencies), report: { send(.progress($0)) })
        }
        let ensured = try await ensureImages(
            project, scope: [service.name], pull: nil, configDirectory: nil, report: { send(.progress($0)) })
        var spec = ServiceSpecs.spec(for: ensured.services[service.name] ?? service, number: 1, in: ensured)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        spec.name = "\(project.name.rawValue)-\(service.name)-run-\(suffix)"
        spec.labels[ComposeLabel.oneoff] = "True"
        spec.labels[ComposeLabel.containerNumber] = "1"
        if !request.command.isEmpty { spec.command = request.command }
        if let entrypoint = request.entrypoint {
            spec.entrypoint = entrypoint
            if request.command.isEmpty { spec.command = nil }
        }
        spec.environment.merge(request.environment) { $1 }
        if let user = request.user { spec.user = user }
        if let workingDir = request.workingDir { spec.workingDir = workingDir }
        if !request.servicePorts { spec.ports = [] }
        // A one-off never answers to the service's name on the network.
        spec.networks = spec.networks.map { attachment in
            var attachment = attachment
            attachment.aliases = attachment.aliases.filter { $0 != service.name }
            return attachment
        }
        spec.standardInput = try Self.standardInput(request.standardInput, of: "run")
        let info = try await runtime.createContainer(spec)
        do {
            try await runtime.startContainer(info.id)
        } catch {
            try? await runtime.removeContainer(info.id, force: true)
            throw error
        }
        if request.detach { return RunResult(container: info.name, exitCode: nil) }
        let runtime = runtime
        let code: Int32 = try await withTaskCancellationHandler {
            // The run's output as it comes, to its last line after the exit.
            for try await line in try await runtime.logs(info.id, LogQuery(follow: true, untilExit: true)) {
                send(
                    .log(
                        LogEntry(
                            container: info.name, service: service.name, stream: line.stream, time: line.time,
                            text: line.text)))
            }
            return try await runtime.waitContainer(info.id)
        } onCancel: {
            Task { try? await runtime.removeContainer(info.id, force: true) }
        }
        if request.remove { try? await runtime.removeContainer(info.id, force: true) }
        return RunResult(container: info.name, exitCode: code)
    }
}
