import BerthModel
import RuntimeKit
import Supervisor
import TestSupport
import Testing

/// Handing containers to the supervisor: fresh ones, ones that died before
/// anyone listened, and a restarted berthd taking its containers back.
@Suite("SupervisorService registration and adoption", .timeLimit(.minutes(1)))
struct SupervisorServiceRegistrationTests {
    /// A remembered restart machine: running, then stopped by the user when `stopped`.
    func remembered(_ container: SupervisedContainer, since: Timestamp, stoppedByUser stopped: Bool, restarts: Int = 0)
        -> ContainerStatus
    {
        var machine = RestartMachine(policy: container.restart)
        _ = machine.handle(.startedElsewhere(at: since))
        for _ in 0..<restarts {
            _ = machine.handle(.exited(code: 1, at: since))
            _ = machine.handle(.started(at: since))
        }
        if stopped { _ = machine.handle(.stoppedByUser) }
        return ContainerStatus(container: container, health: nil, restart: machine)
    }

    /// A container found exited in the runtime, as berthd would after a restart.
    func seedExited(_ h: SupervisorHarness, _ name: String, code: Int32, startedAt: Double, finishedAt: Double) async
        -> String
    {
        let id = "id-\(name)"
        await h.fake.seedContainer(
            ContainerInfo(
                id: id, name: "demo-\(name)-1", image: "busybox", labels: [:], state: .exited(code: code),
                createdAt: startedAt - 1, startedAt: startedAt, finishedAt: finishedAt))
        return id
    }

    @Test func afterADaemonRestartAlwaysComesBackUnlessStoppedStaysStopped() async throws {
        let h = SupervisorHarness()
        let now = h.clock.now.seconds
        let always = await seedExited(h, "always", code: 143, startedAt: now - 600, finishedAt: now - 300)
        let unless = await seedExited(h, "unless", code: 143, startedAt: now - 600, finishedAt: now - 300)
        let crashed = await seedExited(h, "crashed", code: 1, startedAt: now - 600, finishedAt: now - 300)
        // Far-away probes: their sleepers show when the supervisor has seen each start.
        let containers = [
            h.supervised(
                always, "always", restart: .always, healthcheck: SupervisorHarness.probe(interval: 100, retries: 1)),
            h.supervised(unless, "unless", restart: .unlessStopped),
            h.supervised(
                crashed, "crashed", restart: .unlessStopped,
                healthcheck: SupervisorHarness.probe(interval: 200, retries: 1)),
        ]
        let before = Timestamp(seconds: now - 600)
        let memory = [
            remembered(containers[0], since: before, stoppedByUser: true, restarts: 2),
            remembered(containers[1], since: before, stoppedByUser: true),
            remembered(containers[2], since: before, stoppedByUser: false),
        ]

        try await h.supervisor.adopt(containers, remembered: memory)
        // Both restarts are due at once, without a backoff, as docker's restore does.
        await h.clock.waitForSleeper(at: h.clock.now + .seconds(100))
        await h.clock.waitForSleeper(at: h.clock.now + .seconds(200))
        #expect(Set(await h.fake.calls) == ["start demo-always-1", "start demo-crashed-1"])
        let unlessStatus = try #require(await h.supervisor.status(of: unless))
        #expect(unlessStatus.restart.state == .stoppedByUser)
        #expect(unlessStatus.restart.lastExitCode == 143)
        // The restart count survives berthd: two before, one now.
        #expect(await h.supervisor.status(of: always)?.restart.restartCount == 3)
    }

    /// berthd killed before it wrote its memory down: the runtime's start
    /// time is enough for the policy to bring an exited container back.
    @Test func anExitedContainerWithNothingRememberedIsRestartedByItsPolicy() async throws {
        let h = SupervisorHarness()
        let now = h.clock.now.seconds
        let id = await seedExited(h, "keeper", code: 137, startedAt: now - 60, finishedAt: now - 5)
        let container = h.supervised(id, "keeper", restart: .always)
        try await h.supervisor.adopt([container], remembered: [])
        // The restart is due at once; wait (with a deadline) for its start.
        let deadline = ContinuousClock.now + .seconds(10)
        while await h.fake.calls.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(await h.fake.calls == ["start demo-keeper-1"])
    }

    @Test func aRunningContainerIsProbedAgainAfterAdoption() async throws {
        let h = SupervisorHarness()
        let now = h.clock.now
        let id = "id-web"
        await h.fake.seedContainer(
            ContainerInfo(
                id: id, name: "demo-web-1", image: "busybox", labels: [:], state: .running(pid: 42),
                createdAt: now.seconds - 101, startedAt: now.seconds - 100))
        await h.runtime.onExec(exitCode: 0, output: "ok")
        var events = await h.supervisor.events().makeAsyncIterator()
        let container = h.supervised(id, "web", healthcheck: SupervisorHarness.probe(interval: 30, retries: 3))
        var oldHealth = HealthMachine(config: try #require(container.healthConfig))
        _ = oldHealth.handle(.started(at: now - .seconds(100)))
        _ = oldHealth.handle(
            .probeFinished(
                ProbeResult(start: now - .seconds(70), end: now - .seconds(70), exitCode: 0, output: "before")))
        var memory = remembered(container, since: now - .seconds(100), stoppedByUser: false)
        memory.health = oldHealth

        try await h.supervisor.adopt([container], remembered: [memory])
        let adopted = try #require(await h.supervisor.status(of: id))
        #expect(adopted.healthText == "health: starting")
        #expect(adopted.health?.log.map(\.output) == ["before"])
        // The first probe is an interval after adoption; it passes.
        await h.clock.advance(toSleeperAt: now + .seconds(30))
        #expect(await events.next()?.action == "health_status: healthy")
        #expect(await h.fake.calls == ["exec demo-web-1 check"])
    }

    @Test func aContainerTakesItsServicesSettings() {
        var service = Service(name: "web")
        service.healthcheck = Healthcheck(test: ["CMD", "true"], interval: 1_000_000_000)
        service.restart = .unlessStopped
        service.restartOnUnhealthy = false
        service.stopSignal = "SIGINT"
        service.stopGracePeriod = 3_000_000_000
        service.dependsOn = ["db": Dependency(condition: .healthy, restart: true)]
        let container = SupervisedContainer(id: "c1", name: "demo-web-1", service: service)
        #expect(
            container
                == SupervisedContainer(
                    id: "c1", name: "demo-web-1", service: "web", healthcheck: service.healthcheck,
                    restart: .unlessStopped, restartOnUnhealthy: false, stopSignal: "SIGINT",
                    stopGracePeriod: 3_000_000_000, dependsOn: service.dependsOn))
        #expect(container.healthConfig?.interval == .seconds(1))
        // docker's defaults when the service says nothing.
        let plain = SupervisedContainer(id: "c2", name: "demo-db-1", service: Service(name: "db"))
        #expect([plain.stopSignal, "\(plain.stopGracePeriod)"] == ["SIGTERM", "10000000000"])
        #expect(plain.healthConfig == nil)
    }

    @Test func aContainerThatDiedBeforeItWasRegisteredIsStillRestarted() async throws {
        let h = SupervisorHarness()
        let id = try await h.runContainer("job")
        // Its `die` went out before the supervisor listened.
        await h.fake.exit(id, code: 2)
        var events = await h.supervisor.events().makeAsyncIterator()
        let t0 = h.clock.now
        await h.supervisor.register(h.supervised(id, "job", restart: .onFailure(maxRetries: 1)))
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(100))
        #expect(await events.next()?.kind == .restart(reason: .exited(code: 2), after: .milliseconds(100)))
        #expect(await h.fake.calls == ["start demo-job-1"])
    }

    @Test func containersGoneOrNeverStartedAreLeftToTheReconciler() async throws {
        let h = SupervisorHarness()
        let created = try await h.fake.createContainer(ContainerSpec(name: "demo-new-1", image: "busybox"))
        await h.fake.clearCalls()
        try await h.supervisor.adopt([h.supervised(created.id, "new"), h.supervised("gone", "gone")])
        #expect(await h.supervisor.snapshot().map(\.container.name) == ["demo-new-1"])
        #expect(await h.supervisor.status(of: created.id)?.restart.state == .created)
        #expect(await h.fake.calls.isEmpty)
        #expect(h.clock.sleeperDeadlines.isEmpty)
    }
}
