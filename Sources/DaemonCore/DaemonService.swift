import AsyncKeyedLock
import BerthModel
import DaemonAPI
import Foundation
import Logging
import Reconciler
import RuntimeKit
import ServiceLifecycle
import Supervisor

/// What berthd does for each route, over any `ContainerRuntime` (the real
/// one in berthd, `FakeRuntime` in tests).
///
/// Nothing is kept in memory only: containers, networks and volumes are
/// found by their labels, each project's last `up` is kept in
/// `<root>/projects/<name>.json` (so a restarted berthd knows the services'
/// healthchecks and policies) and the supervisor's restart counts and probe
/// logs in `<root>/supervisor.json`.
///
/// As a `ServiceLifecycle.Service`: `restore` it first, then `run` keeps
/// the supervisor's state on disk until graceful shutdown.
public actor DaemonService: ServiceLifecycle.Service {
    let runtime: any ContainerRuntime
    let supervisor: SupervisorService
    let names: NameService?
    /// Builds images for `build:` services and `berth image build`; nil when this daemon cannot.
    let builder: (any ImageBuilding)?
    let store: ProjectStore
    let logger: Logger
    public nonisolated let info: DaemonInfo
    /// One operation per project at a time: a second `up` waits for the
    /// first, so two plans are never made from the same snapshot.
    let locks = KeyedLock<String>()
    /// The supervisor's events from the end of `restore` on, which `run` records.
    var supervisorEvents: AsyncStream<SupervisorEvent>?

    /// A service over `runtime`; `names` is nil when no embedded DNS runs (tests).
    public init(
        runtime: any ContainerRuntime, supervisor: SupervisorService, names: NameService?, root: String,
        info: DaemonInfo, logger: Logger, builder: (any ImageBuilding)? = nil
    ) {
        self.builder = builder
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
                adopted.append(await SupervisingRuntime.supervised(info, service: service, runtime: runtime))
            }
        }
        do {
            try await supervisor.adopt(adopted, remembered: remembered)
            logger.info("adopted \(adopted.count) containers")
        } catch {
            logger.error("adopting containers: \(error)")
        }
        supervisorEvents = await supervisor.events()
    }

    /// berthd's life after `restore`: each of the supervisor's events
    /// logged and its state saved after it, until graceful shutdown (or
    /// cancellation); then its state once more, for the next berthd.
    /// Off the actor: the writes do not hold up the routes.
    public nonisolated func run() async throws {
        if let events = await takeSupervisorEvents() {
            for await event in events.cancelOnGracefulShutdown() {
                logger.info("\(event)")
                store.saveSupervisorSnapshot(await supervisor.snapshot())
            }
        }
        store.saveSupervisorSnapshot(await supervisor.snapshot())
    }

    private func takeSupervisorEvents() -> AsyncStream<SupervisorEvent>? {
        defer { supervisorEvents = nil }
        return supervisorEvents
    }

    // MARK: up

    /// `berth up`: plan against one snapshot, run the plan with progress,
    /// then (`wait`) wait until every selected service is running and
    /// healthy, or done.
    public func up(_ request: UpRequest, report: @escaping ProgressSink) async throws -> UpResult {
        return try await locks.withLock(request.project.name.rawValue) {
            let options = UpOptions(
                services: request.services, noDeps: request.noDeps, forceRecreate: request.forceRecreate,
                noRecreate: request.noRecreate, removeOrphans: request.removeOrphans, scale: request.scale,
                noStart: request.noStart, renewAnonymousVolumes: request.renewAnonymousVolumes)
            // Every image in place before anything is made: built, then pulled.
            let built = try await buildImages(request, report: report)
            let project = try await ensureImages(
                built, scope: options.scope(in: built), pull: request.pull,
                configDirectory: request.configDirectory, report: report)
            try store.save(project)
            let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
            let plan = Self.withGrace(
                Planner.plan(desired: project, observed: observed, options: options), timeout: request.timeout)
            logger.debug("plan for \(project.name):\n\(plan)")
            var warnings = plan.notes
            if !plan.isEmpty {
                let timeout = request.waitTimeout.map { Duration.milliseconds(Int64($0 * 1000)) }
                let gate = ProgressReportingGate(
                    base: RuntimeDependencyGate(
                        project: project.name, runtime: runtime, health: SupervisorHealth(supervisor: supervisor),
                        pollInterval: .milliseconds(50), timeout: timeout),
                    runtime: runtime, project: project.name, report: report)
                let report = try await Executor(runtime: executing(project, report: report), gate: gate).execute(plan)
                warnings += report.warnings
            }
            await names?.refresh()
            if request.wait && !request.noStart {
                // Exactly what the plan acted on: the planner's scope.
                try await waitUntilReady(
                    project, services: options.scope(in: project), timeout: request.waitTimeout, report: report)
            }
            store.saveSupervisorSnapshot(await supervisor.snapshot())
            let containers = try await summaries(project: project.name.rawValue, services: [], all: true)
            return UpResult(unchanged: plan.isEmpty, warnings: warnings, containers: containers)
        }
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
            let gate = RuntimeDependencyGate(project: name, runtime: runtime)
            _ = try await Executor(runtime: executing(stored, report: report), gate: gate).execute(graced)
            await names?.refresh()
            store.saveSupervisorSnapshot(await supervisor.snapshot())
            let left = try await runtime.containers(matching: .project(name.rawValue))
            if left.isEmpty { store.remove(name.rawValue) }
            if let which = request.removeImages, let stored {
                try await removeImages(of: stored, all: which == "all", report: report)
            }
        }
    }

    /// `down --rmi`: the services' images (`all`), or those built for
    /// services without an `image:` of their own; one missing is no error.
    func removeImages(of project: Project, all: Bool, report: @escaping ProgressSink) async throws {
        let names = Set(
            project.services.values.filter { all || ($0.image == nil && $0.build != nil) }
                .map { project.imageName(of: $0) })
        var errors: [BerthError] = []
        for name in names.sorted() {
            do {
                _ = try await runtime.removeImage(name, force: false)
                report(ProgressEvent(kind: .image, name: name, status: "Removed", done: true))
            } catch let error as BerthError where error.code == .notFound {
                continue
            } catch {
                errors.append((error as? BerthError) ?? BerthError(.executionFailed, "\(error)"))
            }
        }
        if let error = BerthError.combined(errors) { throw error }
    }

    /// The runtime one command acts through: progress reported on every
    /// step, the supervisor kept in step with every start, stop and removal
    /// (of `project`'s services; nil when the command has no compose file).
    func executing(_ project: Project?, report: @escaping ProgressSink) -> any ContainerRuntime {
        let containers = ContainerDirectory(runtime: runtime)
        let supervising = SupervisingRuntime(
            base: runtime, supervisor: supervisor, project: project, containers: containers)
        return ProgressReportingRuntime(
            base: HookRunningRuntime(base: supervising, project: project, containers: containers),
            containers: containers, report: report)
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
