import BerthModel
import DaemonAPI
import Foundation
import RuntimeKit

extension DaemonService {
    /// `--wait`: every container of `services` running (and healthy when it
    /// has a healthcheck), or exited 0 for a one-shot job. Fails at once
    /// when one exits non-zero with no restart coming or turns unhealthy
    /// with no restart coming, and when `timeout` passes, naming the
    /// service and its last probe output.
    func waitUntilReady(_ project: Project, services: [String], timeout: Double?, report: ProgressSink) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = timeout.map { started.advanced(by: .milliseconds(Int64($0 * 1000))) }
        var announced: Set<String> = []
        while true {
            try Task.checkCancellation()
            let containers = try await runtime.containers(matching: .project(project.name.rawValue))
                .filter { !$0.isOneOff && services.contains($0.composeService ?? "") }
            var pending: [String] = []
            for container in containers.sorted(by: { $0.name < $1.name }) {
                switch try await readiness(of: container, since: started) {
                case .pending(let why):
                    pending.append(why)
                case .ready(let event):
                    if let event, announced.insert(container.name).inserted { report(event) }
                }
            }
            if pending.isEmpty { return }
            if let deadline, clock.now >= deadline {
                throw BerthError(
                    .dependencyFailed,
                    "timed out after \(timeout.map { "\($0)" } ?? "?")s waiting for the stack: \(pending.joined(separator: "; "))"
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// What one look at a container says to `--wait`.
    enum Readiness {
        /// Done waiting; the progress line that says so, once (none for a
        /// job that finished).
        case ready(ProgressEvent?)
        /// Not yet: why, for the timeout's message.
        case pending(String)
    }

    /// Whether `container` is ready, from its state and the supervisor's
    /// view of it; throws when it can no longer become ready.
    func readiness(of container: ContainerInfo, since started: ContinuousClock.Instant) async throws -> Readiness {
        let status = await supervisor.status(of: container.id)
        let restartComing: Bool = {
            if case .restarting = status?.restart.state { return true }
            return false
        }()
        switch container.state {
        case .exited(let code):
            if restartComing { return .pending("\(container.name) is restarting") }
            if code == 0 { return .ready(nil) }
            throw BerthError(
                .dependencyFailed, "container \(container.name) exited with code \(code)",
                cause: await lastLines(of: container.id))
        case .dead:
            throw BerthError(.dependencyFailed, "container \(container.name) is dead")
        case .created:
            return .pending("\(container.name) is not started")
        case .running:
            guard let health = status?.health else {
                return .ready(ProgressEvent(kind: .container, name: container.name, status: "Running", done: true))
            }
            let probe = Self.probeText(health.lastOutput)
            switch health.status {
            case .healthy:
                return .ready(
                    ProgressEvent(
                        kind: .container, name: container.name, status: "Healthy", done: true,
                        elapsed: started.secondsElapsed))
            case .starting:
                return .pending("\(container.name) is starting (last probe: \(probe))")
            case .unhealthy:
                let restarts = status.map { $0.container.restart != .no && $0.container.restartOnUnhealthy } ?? false
                if restarts || restartComing {
                    return .pending("\(container.name) is unhealthy, restart coming (last probe: \(probe))")
                }
                throw BerthError(
                    .dependencyFailed, "container \(container.name) is unhealthy; last probe output: \(probe)")
            }
        }
    }

    static func probeText(_ output: String) -> String {
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "no output" : "\"\(trimmed)\""
    }

    /// The last few log lines of a container, for an error's cause.
    func lastLines(of id: String, count: Int = 3) async -> String? {
        guard let lines = try? await runtime.logs(id, LogQuery(tail: count)) else { return nil }
        var texts: [String] = []
        do {
            for try await line in lines { texts.append(line.text) }
        } catch {
            return nil
        }
        return texts.isEmpty ? nil : "last output: " + texts.joined(separator: " | ")
    }
}
