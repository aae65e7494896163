import BerthModel
import RuntimeKit

/// Keeps registered containers healthy and running over a `ContainerRuntime`.
///
/// It drives one `HealthMachine` and one `RestartMachine` per container and
/// does what they decide: probes are `exec`s with the probe's timeout,
/// restarts are `stopContainer` (stop signal, grace) then `startContainer`.
/// Exits, starts and stops come from the runtime's `events()`, in order; the
/// supervisor's own stops and starts are recognised by their echo, and any
/// other `stop` is the user's, so `berth down` through the runtime directly
/// is never fought. `snapshot()` is what `ps`/`inspect` show; `events()`
/// streams `health_status: …` and `restart (…)` for the event log, the
/// latter when the restart happens (a decision a user's stop cancels is not
/// news).
///
/// A restarted berthd calls `adopt`: running containers get their probes
/// back, exited ones get their policy applied (see `RestartMachine`).
public actor SupervisorService {
    struct Entry {
        var container: SupervisedContainer
        var health: HealthMachine?
        var restart: RestartMachine
        var probeTask: Task<Void, Never>?
        var restartTask: Task<Void, Never>?
        /// Our stops and starts whose runtime events have not come back yet.
        var ownStops = 0
        var ownStarts = 0
        /// Tells a woken restart task whether it is still the current one.
        var restartToken = 0
        /// The backoff the pending restart waits, for its event.
        var restartDelay: Duration = .zero
        /// Frozen by `pause`: no probe runs (a frozen process would fail
        /// it and be restarted as unhealthy) until `unpause`.
        var paused = false
    }

    let runtime: any ContainerRuntime
    let clock: any Clock
    var entries: [String: Entry] = [:]
    /// Service → how many times the supervisor restarted one of its containers.
    var generations: [String: Int] = [:]
    /// Service → dependency → the dependency's generation it last started against.
    var seen: [String: [String: Int]] = [:]
    var nextToken = 0
    private var subscribers: [Int: AsyncStream<SupervisorEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    /// The subscription to the runtime's events, shared by concurrent `start` calls.
    private var subscription: Task<AsyncStream<RuntimeEvent>, Never>?
    private var listener: Task<Void, Never>?

    /// A supervisor over `runtime`, telling time with `clock`.
    public init(runtime: any ContainerRuntime, clock: any Clock = SystemClock()) {
        self.runtime = runtime
        self.clock = clock
    }

    // MARK: Lifecycle

    /// Subscribes to the runtime's events (once). `register` and `adopt` call
    /// it first: subscribing before looking at a container means no exit falls
    /// between the look and the subscription.
    public func start() async {
        if let subscription {
            // Someone else is subscribing: wait until the runtime has us, too.
            _ = await subscription.value
            return
        }
        let runtime = runtime
        let subscribing = Task { await runtime.events() }
        subscription = subscribing
        let stream = await subscribing.value
        listener = Task { [weak self] in
            for await event in stream {
                guard let self else { return }
                await self.handle(event)
            }
        }
    }

    /// Stops listening, probing and restarting, and ends every event stream.
    public func shutdown() {
        listener?.cancel()
        listener = nil
        subscription = nil
        for id in entries.keys { cancelTasks(id) }
        for subscriber in subscribers.values { subscriber.finish() }
        subscribers.removeAll()
    }

    /// The supervisor's events from now on.
    public func events() -> AsyncStream<SupervisorEvent> {
        let (stream, continuation) = AsyncStream<SupervisorEvent>.makeStream()
        let key = nextSubscriber
        nextSubscriber += 1
        subscribers[key] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeSubscriber(key) }
        }
        return stream
    }

    // MARK: Containers

    /// Supervises a container the daemon has just started: its health starts
    /// over, its restart count too (a start by the user, as `docker start`).
    public func register(_ container: SupervisedContainer) async {
        await start()
        cancelTasks(container.id)
        let now = clock.now
        entries[container.id] = Entry(
            container: container, health: container.healthConfig.map { HealthMachine(config: $0) },
            restart: RestartMachine(policy: container.restart, restartOnUnhealthy: container.restartOnUnhealthy))
        catchUpDependencies(of: container.service)
        applyRestart(container.id, .startedElsewhere(at: now))
        applyHealth(container.id, .started(at: now))
        // A process that died before we listened sent its `die` to nobody.
        if let info = await inspect(container.id), case .exited(let code) = info.state,
            case .running = entries[container.id]?.restart.state
        {
            applyHealth(container.id, .stopped)
            applyRestart(container.id, .exited(code: code, at: clock.now))
        }
    }

    /// Takes over containers after berthd restarted. `remembered` is what
    /// `snapshot()` said before (restart counts, user stops, health logs);
    /// running containers get probes again, exited ones their policy.
    public func adopt(_ containers: [SupervisedContainer], remembered: [ContainerStatus] = []) async throws {
        await start()
        let observed = try await runtime.containers(matching: LabelFilter())
        let byID = Dictionary(observed.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let previous = Dictionary(remembered.map { ($0.container.id, $0) }, uniquingKeysWith: { first, _ in first })
        let now = clock.now
        for container in containers.sorted(by: { $0.name < $1.name }) {
            guard let info = byID[container.id] else { continue }
            cancelTasks(container.id)
            var restart = previous[container.id]?.restart ?? RestartMachine(policy: container.restart)
            restart.policy = container.restart
            restart.restartOnUnhealthy = container.restartOnUnhealthy
            let log = previous[container.id]?.health?.log ?? []
            entries[container.id] = Entry(
                container: container, health: container.healthConfig.map { HealthMachine(config: $0, log: log) },
                restart: restart)
            catchUpDependencies(of: container.service)
            let startedAt = info.startedAt.map(Timestamp.init(seconds:))
            switch info.state {
            case .running:
                entries[container.id]?.paused = info.paused ?? false
                applyRestart(container.id, .adoptedRunning(since: startedAt ?? now))
                applyHealth(container.id, .adopted(startedAt: startedAt ?? now, now: now))
            case .exited(let code):
                if previous[container.id] == nil, let startedAt {
                    // Nothing remembered (berthd was killed before it wrote
                    // anything down): the runtime says it did start, so the
                    // policy sees a container that ran and exited.
                    applyRestart(container.id, .adoptedRunning(since: startedAt))
                }
                let finishedAt = info.finishedAt.map(Timestamp.init(seconds:))
                let ranFor = startedAt.flatMap { start in finishedAt.map { $0 - start } }
                applyRestart(container.id, .adoptedExited(code: code, ranFor: ranFor, now: now))
            case .created, .dead:
                // Never started, or gone from crun: the reconciler's to create or start.
                break
            }
        }
    }

    /// Stops supervising a container (it was removed, or the daemon is done with it).
    public func unregister(_ id: String) {
        cancelTasks(id)
        entries[id] = nil
    }

    /// The user's stop: the container stays down whatever its policy, until
    /// it is started again. `signal` and `grace` (nanoseconds) are the
    /// caller's (`stop -t`), else the service's.
    public func stop(_ id: String, signal: String? = nil, grace: Int64? = nil) async throws {
        guard let container = entries[id]?.container else {
            throw BerthError(.notFound, "container \(id) is not supervised")
        }
        cancelTasks(id)
        applyHealth(id, .stopped)
        applyRestart(id, .stoppedByUser)
        try await runtime.stopContainer(
            id, signal: signal ?? container.stopSignal, grace: grace ?? container.stopGracePeriod)
    }

    /// The user's kill (`berth kill`): like docker's, a manual stop, so the
    /// policy does not bring the container back when the signal ends it. A
    /// signal that asks for something else (`HUP`, `USR1`) is passed on and
    /// changes nothing here.
    public func kill(_ id: String, signal: String) async throws {
        let name = signal.uppercased().hasPrefix("SIG") ? String(signal.uppercased().dropFirst(3)) : signal.uppercased()
        let ends = ["KILL", "TERM", "INT", "QUIT", "9", "15", "2", "3"].contains(name)
        if ends, entries[id] != nil {
            cancelTasks(id)
            applyRestart(id, .stoppedByUser)
        }
        try await runtime.killContainer(id, signal: signal)
    }

    /// What `ps` and `inspect` show, sorted by container name.
    public func snapshot() -> [ContainerStatus] {
        entries.values.map { ContainerStatus(container: $0.container, health: $0.health, restart: $0.restart) }
            .sorted { $0.container.name < $1.container.name }
    }

    /// One container's status, or nil when it is not supervised.
    public func status(of id: String) -> ContainerStatus? {
        entries[id].map { ContainerStatus(container: $0.container, health: $0.health, restart: $0.restart) }
    }

    // MARK: Runtime events

    /// One runtime event, in the order the runtime sent them.
    func handle(_ event: RuntimeEvent) {
        let id = event.containerID
        guard var entry = entries[id] else { return }
        let now = clock.now
        switch event.kind {
        case .die:
            entries[id]?.paused = false
            cancelProbe(id)
            applyHealth(id, .stopped)
            applyRestart(id, .exited(code: event.exitCode ?? -1, at: now))
        case .stop:
            guard entry.ownStops == 0 else {
                entry.ownStops -= 1
                entries[id] = entry
                return
            }
            // Not ours: the user's (`berth stop`, `down`), even if it came straight through the runtime.
            entries[id]?.paused = false
            cancelTasks(id)
            applyHealth(id, .stopped)
            applyRestart(id, .stoppedByUser)
        case .start:
            guard entry.ownStarts == 0 else {
                entry.ownStarts -= 1
                entries[id] = entry
                restartStarted(id, at: now)
                return
            }
            cancelTasks(id)
            catchUpDependencies(of: entry.container.service)
            applyRestart(id, .startedElsewhere(at: now))
            applyHealth(id, .started(at: now))
        case .destroy:
            unregister(id)
        case .pause:
            cancelProbe(id)
            entries[id]?.paused = true
        case .unpause:
            entries[id]?.paused = false
            // A probe that was due while it was frozen runs now.
            if case .probeDue(let due) = entry.health?.phase { scheduleProbe(id, at: due) }
        case .create, .kill:
            // A kill ends in a `die` when it ends the process; that is what counts.
            break
        }
    }

    // MARK: Machines

    /// Feeds the health machine and does what it decides.
    func applyHealth(_ id: String, _ event: HealthEvent) {
        guard var health = entries[id]?.health else { return }
        let decisions = health.handle(event)
        entries[id]?.health = health
        for decision in decisions {
            switch decision {
            case .runProbe(let at):
                scheduleProbe(id, at: at)
            case .becameHealthy:
                publish(id, .healthStatus(.healthy))
                reviewDependents()
            case .becameUnhealthy:
                publish(id, .healthStatus(.unhealthy))
                applyRestart(id, .becameUnhealthy(lastOutput: health.lastOutput, at: clock.now))
            }
        }
    }

    /// Feeds the restart machine and carries out its decision.
    func applyRestart(_ id: String, _ event: RestartEvent) {
        guard var restart = entries[id]?.restart else { return }
        let decision = restart.handle(event)
        entries[id]?.restart = restart
        guard case .restart(let reason, let after) = decision else { return }
        performRestart(id, reason: reason, after: after)
    }

    func publish(_ id: String, _ kind: SupervisorEvent.Kind) {
        guard let container = entries[id]?.container else { return }
        let event = SupervisorEvent(
            time: clock.now, containerID: id, containerName: container.name, service: container.service, kind: kind)
        for subscriber in subscribers.values { subscriber.yield(event) }
    }

    func cancelProbe(_ id: String) {
        entries[id]?.probeTask?.cancel()
        entries[id]?.probeTask = nil
    }

    func cancelTasks(_ id: String) {
        cancelProbe(id)
        entries[id]?.restartTask?.cancel()
        entries[id]?.restartTask = nil
    }

    private func removeSubscriber(_ key: Int) {
        subscribers[key] = nil
    }

    /// The container as the runtime sees it, or nil when it cannot say.
    private func inspect(_ id: String) async -> ContainerInfo? {
        try? await runtime.containers(matching: LabelFilter()).first { $0.id == id }
    }
}
