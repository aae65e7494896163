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
        guard let declared = project.services[request.service] else {
            throw BerthError(.notFound, "no such service: \(request.service)")
        }
        if !request.noDeps, !declared.dependsOn.isEmpty {
            let dependencies = declared.dependsOn.keys.sorted()
            _ = try await up(UpRequest(project: project, services: dependencies), report: { send(.progress($0)) })
        }
        try await makeResources(of: declared.name, in: project, report: { send(.progress($0)) })
        // Its image in place first, as `up` does: built when it has a `build:`, pulled when missing.
        let built = try await buildImages(
            UpRequest(project: project, services: [declared.name], noDeps: true), report: { send(.progress($0)) })
        let ensured = try await ensureImages(
            built, scope: [declared.name], pull: nil, configDirectory: nil, report: { send(.progress($0)) })
        var oneOff = request
        oneOff.project = ensured
        let spec = try Self.oneOffSpec(oneOff, ensured.services[declared.name] ?? declared)
        let info = try await runtime.createContainer(spec)
        // `run -it`: the CLI attaches, and the attach starts it.
        if request.attach == true { return RunResult(container: info.name, exitCode: nil) }
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
                            container: info.name, service: declared.name, stream: line.stream, time: line.time,
                            text: line.text)))
            }
            return try await runtime.waitContainer(info.id)
        } onCancel: {
            Task { try? await runtime.removeContainer(info.id, force: true) }
        }
        if request.remove { try? await runtime.removeContainer(info.id, force: true) }
        return RunResult(container: info.name, exitCode: code)
    }

    /// The networks and volumes a one-off of `service` needs, made when
    /// missing (a project that was never up, or `--no-deps`).
    func makeResources(of service: String, in project: Project, report: @escaping ProgressSink) async throws {
        try await locks.withLock(project.name.rawValue) {
            let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
            let plan = Planner.planResources(desired: project, observed: observed, service: service)
            guard !plan.isEmpty else { return }
            let gate = RuntimeDependencyGate(project: project.name, runtime: runtime)
            _ = try await Executor(runtime: executing(project, report: report), gate: gate).execute(plan)
            await names?.refresh()
        }
    }

    /// The one-off's spec: the service's, with `run`'s flags applied.
    static func oneOffSpec(_ request: RunRequest, _ declared: Service) throws -> ContainerSpec {
        let project = request.project
        var service = declared
        service.volumes += request.volumes ?? []
        if let capAdd = request.capAdd { service.capAdd += capAdd }
        if let capDrop = request.capDrop { service.capDrop += capDrop }
        if request.tty == true { service.tty = true }
        if request.stdinOpen == true { service.stdinOpen = true }
        var spec = ServiceSpecs.spec(for: service, number: 1, in: project)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        spec.name = request.name ?? "\(project.name.rawValue)-\(service.name)-run-\(suffix)"
        spec.labels.merge(request.labels ?? [:]) { $1 }
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
        if let publish = request.publish {
            var published = service
            published.ports = publish
            spec.ports += ServiceSpecs.ports(for: published)
        }
        // A one-off answers to the service's name on the network only with `--use-aliases`.
        if request.useAliases != true {
            spec.networks = spec.networks.map { attachment in
                var attachment = attachment
                attachment.aliases = attachment.aliases.filter { $0 != service.name }
                return attachment
            }
        }
        spec.standardInput = try Self.standardInput(request.standardInput, of: "run")
        return spec
    }
}
