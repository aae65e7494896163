import AsyncKeyedLock
import BerthModel
import DaemonAPI
import Foundation
import Logging
import Reconciler
import RuntimeKit
import Supervisor

/// What berthd does for each route, over any `ContainerRuntime` (the real
/// one in berthd, `FakeRuntime` in tests).
///
/// Nothing is kept in memory only: containers, networks and volumes are
/// found by their labels, each project's last `up` is kept in
/// `<root>/projects/<name>.json` (so a restarted berthd knows the services'
/// healthchecks and policies) and the supervisor's restart counts and probe
/// logs in `<root>/supervisor.json`.
public actor DaemonService {
    let runtime: any ContainerRuntime
    let supervisor: SupervisorService
    let names: NameService?
    let store: ProjectStore
    let logger: Logger
    public let info: DaemonInfo
    /// One operation per project at a time: a second `up` waits for the
    /// first, so two plans are never made from the same snapshot.
    let locks = KeyedLock<String>()
    var recorder: Task<Void, Never>?

    /// A service over `runtime`; `names` is nil when no embedded DNS runs (tests).
    public init(
        runtime: any ContainerRuntime, supervisor: SupervisorService, names: NameService?, root: String,
        info: DaemonInfo, logger: Logger
    ) {
        self.runtime = runtime
        self.supervisor = supervisor
        self.names = names
        self.store = ProjectStore(root: root)
        self.logger = logger
        self.info = info
    }

    /// After berthd starts: the DNS tables, and every stored project's
    /// containers handed back to the supervisor, which resumes their probes
    /// and applies the restart policies to those that exited meanwhile.
    public func restore() async {
        await supervisor.start()
        let remembered = store.loadSupervisorSnapshot()
        var adopted: [SupervisedContainer] = []
        for project in store.loadAll() {
            let containers = (try? await runtime.containers(matching: .project(project.name.rawValue))) ?? []
            for info in containers where !info.isOneOff {
                guard let name = info.composeService, let service = project.services[name] else { continue }
                adopted.append(await Self.supervised(info, service: service, runtime: runtime))
            }
        }
        do {
            try await supervisor.adopt(adopted, remembered: remembered)
            logger.info("adopted \(adopted.count) containers")
        } catch {
            logger.error("adopting containers: \(error)")
        }
        let events = await supervisor.events()
        let store = store
        let supervisor = supervisor
        let logger = logger
        recorder = Task {
            for await event in events {
                logger.info("\(event)")
                store.saveSupervisorSnapshot(await supervisor.snapshot())
            }
        }
    }

    /// What the supervisor needs of a container: its service's healthcheck,
    /// with the image's `HEALTHCHECK` test (and timings the service leaves
    /// unset) when the service names no test of its own, as docker does.
    public static func supervised(_ info: ContainerInfo, service: Service, runtime: any ContainerRuntime) async -> SupervisedContainer {
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

    /// Before berthd exits: the supervisor's state, for the next one.
    public func shutdown() async {
        recorder?.cancel()
        store.saveSupervisorSnapshot(await supervisor.snapshot())
        await supervisor.shutdown()
        await names?.shutdown()
    }

    // MARK: up

    /// `berth up`: plan against one snapshot, run the plan with progress,
    /// then (`wait`) wait until every selected service is running and
    /// healthy, or done.
    public func up(_ request: UpRequest, report: @escaping ProgressSink) async throws -> UpResult {
        let project = request.project
        return try await locks.withLock(project.name.rawValue) {
            try store.save(project)
            let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
            let options = UpOptions(
                services: request.services, noDeps: request.noDeps, forceRecreate: request.forceRecreate,
                noRecreate: request.noRecreate, removeOrphans: request.removeOrphans, scale: request.scale,
                noStart: request.noStart, renewAnonymousVolumes: request.renewAnonymousVolumes)
            let plan = Self.withGrace(
                Planner.plan(desired: project, observed: observed, options: options), timeout: request.timeout)
            logger.debug("plan for \(project.name):\n\(plan)")
            var warnings = plan.notes
            if !plan.isEmpty {
                let reporting = ReportingRuntime(base: runtime, supervisor: supervisor, project: project, report: report)
                let timeout = request.waitTimeout.map { Duration.milliseconds(Int64($0 * 1000)) }
                let gate = ReportingGate(
                    base: RuntimeDependencyGate(
                        project: project.name, runtime: runtime, health: SupervisorHealth(supervisor: supervisor),
                        pollInterval: .milliseconds(50), timeout: timeout),
                    runtime: runtime, project: project.name, report: report)
                let report = try await Executor(runtime: reporting, gate: gate).execute(plan)
                warnings += report.warnings
            }
            await names?.refresh()
            if request.wait && !request.noStart {
                try await waitUntilReady(project, services: selected(request), timeout: request.waitTimeout, report: report)
            }
            store.saveSupervisorSnapshot(await supervisor.snapshot())
            let containers = try await summaries(project: project.name.rawValue, services: [], all: true)
            return UpResult(unchanged: plan.isEmpty, warnings: warnings, containers: containers)
        }
    }

    /// The services `up` acts on: the named ones and, unless `--no-deps`,
    /// what they depend on.
    func selected(_ request: UpRequest) -> [String] {
        guard !request.services.isEmpty else { return request.project.services.keys.sorted() }
        guard !request.noDeps else { return request.services }
        var result: Set<String> = []
        var queue = request.services
        while let next = queue.popLast() {
            guard result.insert(next).inserted, let service = request.project.services[next] else { continue }
            queue += service.dependsOn.keys
        }
        return result.sorted()
    }

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
                let status = await supervisor.status(of: container.id)
                let restartComing: Bool = {
                    if case .restarting = status?.restart.state { return true }
                    return false
                }()
                switch container.state {
                case .exited(let code):
                    if code == 0 && !restartComing { continue }
                    if restartComing {
                        pending.append("\(container.name) is restarting")
                        continue
                    }
                    throw BerthError(
                        .dependencyFailed, "container \(container.name) exited with code \(code)",
                        cause: await lastLines(of: container.id))
                case .dead:
                    throw BerthError(.dependencyFailed, "container \(container.name) is dead")
                case .created:
                    pending.append("\(container.name) is not started")
                case .running:
                    guard let health = status?.health else {
                        if !announced.contains(container.name) {
                            announced.insert(container.name)
                            report(ProgressEvent(kind: .container, name: container.name, status: "Running", done: true))
                        }
                        continue
                    }
                    switch health.status {
                    case .healthy:
                        if !announced.contains(container.name) {
                            announced.insert(container.name)
                            report(ProgressEvent(
                                kind: .container, name: container.name, status: "Healthy", done: true,
                                elapsed: ReportingRuntime.seconds(since: started)))
                        }
                    case .starting:
                        pending.append("\(container.name) is starting (last probe: \(Self.probeText(health.lastOutput)))")
                    case .unhealthy:
                        let restarts = status.map { $0.container.restart != .no && $0.container.restartOnUnhealthy } ?? false
                        if restarts || restartComing {
                            pending.append("\(container.name) is unhealthy, restart coming (last probe: \(Self.probeText(health.lastOutput)))")
                        } else {
                            throw BerthError(
                                .dependencyFailed,
                                "container \(container.name) is unhealthy; last probe output: \(Self.probeText(health.lastOutput))")
                        }
                    }
                }
            }
            if pending.isEmpty { return }
            if let deadline, clock.now >= deadline {
                throw BerthError(
                    .dependencyFailed,
                    "timed out after \(timeout.map { "\($0)" } ?? "?")s waiting for the stack: \(pending.joined(separator: "; "))")
            }
            try await Task.sleep(for: .milliseconds(100))
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

    // MARK: down

    /// `berth down`: stop and remove the project's containers (dependents
    /// first), then its networks, and its volumes with `-v`.
    public func down(_ request: DownRequest, report: @escaping ProgressSink) async throws {
        guard let name = ProjectName(request.projectName) else {
            throw BerthError(.usage, "invalid project name \"\(request.projectName)\"")
        }
        try await locks.withLock(name.rawValue) {
            let stored = request.project ?? store.load(name.rawValue)
            let observed = try await ObservedState.observe(project: name, runtime: runtime)
            let plan = Planner.planDown(
                desired: request.project, observed: observed, removeVolumes: request.removeVolumes,
                removeOrphans: request.removeOrphans || request.project == nil)
            logger.debug("down plan for \(name):\n\(plan)")
            let graced = Self.withGrace(plan, timeout: request.timeout)
            let reporting = ReportingRuntime(base: runtime, supervisor: supervisor, project: stored, report: report)
            let gate = RuntimeDependencyGate(project: name, runtime: runtime)
            _ = try await Executor(runtime: reporting, gate: gate).execute(graced)
            await names?.refresh()
            store.saveSupervisorSnapshot(await supervisor.snapshot())
            let left = try await runtime.containers(matching: .project(name.rawValue))
            if left.isEmpty { store.remove(name.rawValue) }
        }
    }

    /// The plan with every stop's grace period replaced by `-t`.
    static func withGrace(_ plan: Plan, timeout: Double?) -> Plan {
        guard let timeout else { return plan }
        let grace = Int64(timeout * 1_000_000_000)
        var plan = plan
        plan.stages = plan.stages.map { stage in
            var stage = stage
            stage.steps = stage.steps.map { step in
                var step = step
                step.actions = step.actions.map { action in
                    if case .stop(let signal, _) = action { return .stop(signal: signal, grace: grace) }
                    return action
                }
                return step
            }
            return stage
        }
        return plan
    }
}
