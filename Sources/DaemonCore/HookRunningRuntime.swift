import BerthModel
import Foundation
import RuntimeKit

/// The runtime as one command's executor sees it, as far as lifecycle
/// hooks go: a container of a service with `post_start` hooks runs them,
/// in order, as execs once it has started (a failing one fails the start),
/// and one with `pre_stop` hooks runs them before it is stopped (a failing
/// one is reported and the stop goes on), as docker compose v2.30+ does.
struct HookRunningRuntime: ForwardingRuntime {
    let base: any ContainerRuntime
    /// The project whose services' hooks run; nil: none run.
    let project: Project?
    /// Where a container's service comes from.
    let containers: ContainerDirectory

    func startContainer(_ id: String) async throws {
        try await base.startContainer(id)
        for hook in await hooks(of: id, \.postStart) {
            let result = try await base.exec(id, Self.exec(hook))
            guard result.exitCode == 0 else {
                throw BerthError(
                    .executionFailed,
                    "container \(id): post_start hook \(hook.command.joined(separator: " ")) exited \(result.exitCode)"
                        + Self.output(result))
            }
        }
    }

    func stopContainer(_ id: String, signal: String, grace: Int64) async throws {
        let hooks = await hooks(of: id, \.preStop)
        if !hooks.isEmpty, await containers.info(of: id)?.state.isRunning == true {
            for hook in hooks {
                // The stop is what the user asked for: a hook that fails does not keep it running.
                _ = try? await base.exec(id, Self.exec(hook))
            }
        }
        try await base.stopContainer(id, signal: signal, grace: grace)
    }

    /// The hooks of the container's service; none when the project has none
    /// at all (the usual case, which then costs no lookup).
    private func hooks(of id: String, _ which: KeyPath<Service, [ServiceHook]?>) async -> [ServiceHook] {
        guard let project, project.services.values.contains(where: { $0[keyPath: which] != nil }),
            let name = await containers.info(of: id)?.composeService
        else { return [] }
        return project.services[name]?[keyPath: which] ?? []
    }

    /// A hook as an exec: its command, user, working directory and environment.
    static func exec(_ hook: ServiceHook) -> ExecSpec {
        ExecSpec(command: hook.command, environment: hook.environment, user: hook.user, workingDir: hook.workingDir)
    }

    /// What a failed hook printed, for its error.
    static func output(_ result: ExecResult) -> String {
        let text = (result.stderr.isEmpty ? result.stdout : result.stderr).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : ": \(text)"
    }
}
