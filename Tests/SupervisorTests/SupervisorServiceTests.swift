import BerthModel
import RuntimeKit
import Supervisor
import TestSupport
import Testing

/// The supervisor driving the machines over the fake runtime, on the fake clock.
@Suite("SupervisorService", .timeLimit(.minutes(1)))
struct SupervisorServiceTests {
    @Test func aFailingProbeMakesItUnhealthyAndItIsRestarted() async throws {
        let h = SupervisorHarness()
        let id = try await h.runContainer("web")
        await h.runtime.onExec(exitCode: 1, output: "connection refused")
        var events = await h.supervisor.events().makeAsyncIterator()
        let t0 = h.clock.now
        await h.supervisor.register(
            h.supervised(id, "web", healthcheck: SupervisorHarness.probe(interval: 1, timeout: 5, retries: 2)))

        await h.clock.advance(toSleeperAt: t0 + .seconds(1))
        await h.clock.advance(toSleeperAt: t0 + .seconds(2))
        let unhealthy = await events.next()
        #expect(unhealthy?.action == "health_status: unhealthy")
        #expect(unhealthy?.time == t0 + .seconds(2))
        #expect(
            await h.supervisor.status(of: id)?.health?.log.map(\.output) == [
                "connection refused", "connection refused",
            ])

        // Stopped at once, started after the first backoff.
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(2_100))
        let restart = await events.next()
        #expect(
            restart?.kind == .restart(reason: .unhealthy(lastOutput: "connection refused"), after: .milliseconds(100)))
        #expect(restart?.description == "demo-web-1 restart (unhealthy)")
        // Probes resume from the new start.
        await h.clock.waitForSleeper(at: t0 + .milliseconds(3_100))
        #expect(
            await h.fake.calls == [
                "exec demo-web-1 check", "exec demo-web-1 check", "stop demo-web-1", "start demo-web-1",
            ])
        let status = try #require(await h.supervisor.status(of: id))
        #expect(status.restart.restartCount == 1)
        #expect(status.healthText == "health: starting")

        await h.runtime.onExec(exitCode: 0)
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(3_100))
        #expect(await events.next()?.action == "health_status: healthy")
    }

    @Test func aProbeThatHangsTimesOutAndCountsAsAFailure() async throws {
        let h = SupervisorHarness()
        let id = try await h.runContainer("web")
        let clock = h.clock
        await h.runtime.onExec { _, _ in
            try await clock.sleep(until: Timestamp(nanoseconds: .max))
            return ExecResult(exitCode: 0, stdout: "", stderr: "")
        }
        var events = await h.supervisor.events().makeAsyncIterator()
        let t0 = h.clock.now
        await h.supervisor.register(
            h.supervised(
                id, "web", restart: .no, healthcheck: SupervisorHarness.probe(interval: 1, timeout: 2, retries: 1)))

        await h.clock.advance(toSleeperAt: t0 + .seconds(1))
        // The runtime was told the timeout too.
        await h.clock.advance(toSleeperAt: t0 + .seconds(3))
        #expect(await events.next()?.action == "health_status: unhealthy")
        let status = try #require(await h.supervisor.status(of: id))
        #expect(
            status.health?.log == [
                ProbeResult(
                    start: t0 + .seconds(1), end: t0 + .seconds(3), exitCode: -1,
                    output: "Health check exceeded timeout (2s)")
            ])
        // The hung exec was cancelled, not left behind; the next probe is the only sleeper.
        await h.clock.waitForSleeper(at: t0 + .seconds(4))
        #expect(h.clock.sleeperDeadlines == [t0 + .seconds(4)])
        #expect(status.restart.state == .running(since: t0))
    }

    @Test func exitsAreRestartedWithBackoffThatResetsAfterTenSeconds() async throws {
        let h = SupervisorHarness()
        let id = try await h.runContainer("worker")
        var events = await h.supervisor.events().makeAsyncIterator()
        let t0 = h.clock.now
        // A probe far away: its sleeper shows when the supervisor has seen a (re)start.
        await h.supervisor.register(
            h.supervised(id, "worker", healthcheck: SupervisorHarness.probe(interval: 100, retries: 1)))

        await h.fake.exit(id, code: 1)
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(100))
        #expect(await events.next()?.kind == .restart(reason: .exited(code: 1), after: .milliseconds(100)))
        await h.clock.waitForSleeper(at: t0 + .milliseconds(100_100))

        await h.fake.exit(id, code: 1)
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(300))
        #expect(await events.next()?.kind == .restart(reason: .exited(code: 1), after: .milliseconds(200)))
        await h.clock.waitForSleeper(at: t0 + .milliseconds(100_300))

        // Ten good seconds: back to 100 ms.
        h.clock.advance(by: .seconds(10))
        await h.fake.exit(id, code: 3)
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(10_400))
        #expect(await events.next()?.kind == .restart(reason: .exited(code: 3), after: .milliseconds(100)))
        await h.clock.waitForSleeper(at: t0 + .milliseconds(110_400))
        #expect(await h.fake.calls == ["start demo-worker-1", "start demo-worker-1", "start demo-worker-1"])
        let status = try #require(await h.supervisor.status(of: id))
        #expect(status.restart.lastExitCode == 3)
        #expect(status.restart.restartCount == 3)
    }

    @Test func aStopByTheUserIsNotRestartedEvenStraightThroughTheRuntime() async throws {
        let h = SupervisorHarness()
        let web = try await h.runContainer("web")
        let marker = try await h.runContainer("marker")
        var runtimeEvents = await h.fake.events().makeAsyncIterator()
        var events = await h.supervisor.events().makeAsyncIterator()
        let t0 = h.clock.now
        await h.supervisor.register(h.supervised(web, "web"))
        await h.supervisor.register(h.supervised(marker, "marker"))
        // Give the marker a first restart, so its next one is due at a time of its own.
        await h.fake.exit(marker, code: 1)
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(100))
        await waitFor(.start, of: marker, in: &runtimeEvents)

        // `berth down` stops through the runtime: the exit comes first, then the stop.
        try await h.fake.stopContainer(web, signal: "SIGTERM", grace: 10_000_000_000)
        await h.fake.exit(marker, code: 1)
        // The marker's restart is decided after the web's stop was handled: the events are in order.
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(300))
        await waitFor(.start, of: marker, in: &runtimeEvents)
        // Had the web container been restarted, its event would sit between the marker's two.
        let first = await events.next()
        let second = await events.next()
        #expect([first?.containerName, second?.containerName] == ["demo-marker-1", "demo-marker-1"])
        #expect(await h.supervisor.status(of: web)?.restart.state == .stoppedByUser)
        #expect(await h.fake.calls.filter { $0.hasSuffix("web-1") } == ["stop demo-web-1"])
    }

    @Test func aKillByTheUserIsAManualStopButAHangupIsNot() async throws {
        let h = SupervisorHarness()
        let web = try await h.runContainer("web")
        let api = try await h.runContainer("api")
        await h.supervisor.register(h.supervised(web, "web"))
        await h.supervisor.register(h.supervised(api, "api"))
        try await h.supervisor.kill(web, signal: "SIGKILL")
        try await h.supervisor.kill(api, signal: "HUP")
        #expect(await h.supervisor.status(of: web)?.restart.state == .stoppedByUser)
        if case .running = await h.supervisor.status(of: api)?.restart.state {
        } else {
            Issue.record(
                "a hangup changed api's restart state: \(String(describing: await h.supervisor.status(of: api)?.restart.state))"
            )
        }
    }

    @Test func aStopThroughTheSupervisorCancelsThePendingRestart() async throws {
        let h = SupervisorHarness()
        let id = try await h.runContainer("web")
        let t0 = h.clock.now
        await h.supervisor.register(h.supervised(id, "web"))
        await h.fake.exit(id, code: 1)
        await h.clock.waitForSleeper(at: t0 + .milliseconds(100))

        try await h.supervisor.stop(id)
        #expect(h.clock.sleeperDeadlines.isEmpty)
        h.clock.advance(by: .seconds(120))
        #expect(await h.fake.calls == ["stop demo-web-1"])
        #expect(await h.supervisor.snapshot().map(\.restart.state) == [.stoppedByUser])
        await #expect(throws: BerthError(.init("not-found"), "container nope is not supervised")) {
            try await h.supervisor.stop("nope")
        }
    }

    @Test func withRestartOnUnhealthyOffAnUnhealthyContainerKeepsRunning() async throws {
        let h = SupervisorHarness()
        let id = try await h.runContainer("web")
        await h.runtime.onExec(exitCode: 1)
        var events = await h.supervisor.events().makeAsyncIterator()
        let t0 = h.clock.now
        await h.supervisor.register(
            h.supervised(
                id, "web", healthcheck: SupervisorHarness.probe(interval: 1, retries: 1), restartOnUnhealthy: false))

        await h.clock.advance(toSleeperAt: t0 + .seconds(1))
        #expect(await events.next()?.action == "health_status: unhealthy")
        // It is probed on, and nothing else happens.
        await h.clock.waitForSleeper(at: t0 + .seconds(2))
        #expect(h.clock.sleeperDeadlines == [t0 + .seconds(2)])
        #expect(await h.fake.calls == ["exec demo-web-1 check"])
        let status = try #require(await h.supervisor.status(of: id))
        #expect(status.restart.state == .running(since: t0))
        #expect(status.restart.restartCount == 0)
    }
}

// MARK: Harness

/// A supervisor over a `FakeRuntime` (with scripted execs) and a `FakeClock`.
///
/// Nothing here sleeps: a test moves the clock to the time it expects the
/// next probe or restart at, and waits for real state (a supervisor event,
/// a runtime event, a sleeper at an exact time) before it looks.
struct SupervisorHarness {
    let clock = FakeClock()
    let fake = FakeRuntime(images: ["busybox"])
    let runtime: ExecScriptedRuntime
    let supervisor: SupervisorService

    init() {
        runtime = ExecScriptedRuntime(fake)
        supervisor = SupervisorService(runtime: runtime, clock: clock)
    }

    /// Creates and starts `demo-<service>-1`, then forgets those calls; returns its id.
    func runContainer(_ service: String) async throws -> String {
        let info = try await fake.createContainer(ContainerSpec(name: "demo-\(service)-1", image: "busybox"))
        try await fake.startContainer(info.id)
        await fake.clearCalls()
        return info.id
    }

    /// A container of `service` as the daemon would register it.
    func supervised(
        _ id: String, _ service: String, restart: RestartPolicy = .always, healthcheck: Healthcheck? = nil,
        restartOnUnhealthy: Bool = true, dependsOn: [String: Dependency] = [:]
    ) -> SupervisedContainer {
        SupervisedContainer(
            id: id, name: "demo-\(service)-1", service: service, healthcheck: healthcheck, restart: restart,
            restartOnUnhealthy: restartOnUnhealthy, dependsOn: dependsOn)
    }

    /// A `CMD` probe with whole-second timing and no start period.
    static func probe(interval: Int, timeout: Int = 30, retries: Int) -> Healthcheck {
        Healthcheck(
            test: ["CMD", "check"], interval: Int64(interval) * 1_000_000_000, timeout: Int64(timeout) * 1_000_000_000,
            retries: retries)
    }
}

/// The next event of `iterator` that `matches`, skipping the others.
func next<Event: Sendable>(_ iterator: inout AsyncStream<Event>.AsyncIterator, where matches: (Event) -> Bool) async
    -> Event?
{
    while let event = await iterator.next() {
        if matches(event) { return event }
    }
    return nil
}

/// Waits for the runtime's `kind` event of container `id`.
func waitFor(_ kind: RuntimeEvent.Kind, of id: String, in iterator: inout AsyncStream<RuntimeEvent>.AsyncIterator) async
{
    _ = await next(&iterator) { $0.kind == kind && $0.containerID == id }
}

extension Timestamp {
    /// The point `duration` earlier.
    static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        lhs + (.zero - rhs)
    }
}
