import BerthModel
import RuntimeKit
import Supervisor
import TestSupport
import Testing

/// `depends_on: {X: {restart: true}}` as a function of the supervisor's view,
/// and the supervisor acting on it.
@Suite("DependentRestarts", .timeLimit(.minutes(1)))
struct DependentRestartsTests {
    let healthyRestart = ["db": Dependency(condition: .healthy, restart: true)]

    @Test func aDependentRestartsOnceItsDependencyIsHealthyAgain() {
        let app = ServiceView(name: "app", dependsOn: healthyRestart, seenGenerations: ["db": 0])
        // db was restarted and is still starting: nothing yet.
        var db = ServiceView(name: "db", isHealthy: false, restartGeneration: 1)
        #expect(DependentRestarts.decide([app, db]).isEmpty)
        db.isHealthy = true
        #expect(DependentRestarts.decide([app, db]) == [DependentRestart(service: "app", dependencies: ["db": 1])])
    }

    @Test func onceRecordedTheAnswerIsEmptyLevelTriggered() {
        var app = ServiceView(name: "app", dependsOn: healthyRestart)
        let db = ServiceView(name: "db", isHealthy: true, restartGeneration: 2)
        let first = DependentRestarts.decide([app, db])
        #expect(first == DependentRestarts.decide([app, db]))
        for restart in first { app.seenGenerations.merge(restart.dependencies) { max($0, $1) } }
        #expect(DependentRestarts.decide([app, db]).isEmpty)
    }

    @Test func withoutRestartTrueOrWithoutARestartNothingHappens() {
        let plain = ServiceView(name: "app", dependsOn: ["db": Dependency(condition: .healthy, restart: false)])
        let db = ServiceView(name: "db", isHealthy: true, restartGeneration: 3)
        #expect(DependentRestarts.decide([plain, db]).isEmpty)
        let upToDate = ServiceView(name: "app", dependsOn: healthyRestart, seenGenerations: ["db": 3])
        #expect(DependentRestarts.decide([upToDate, db]).isEmpty)
    }

    @Test func serviceStartedWaitsForRunningAndCompletedJobsAreNeverRestartedFor() {
        let started = ServiceView(name: "app", dependsOn: ["cache": Dependency(condition: .started, restart: true)])
        var cache = ServiceView(name: "cache", isRunning: false, restartGeneration: 1)
        #expect(DependentRestarts.decide([started, cache]).isEmpty)
        cache.isRunning = true
        #expect(DependentRestarts.decide([started, cache]).map(\.service) == ["app"])
        let afterJob = ServiceView(
            name: "app", dependsOn: ["migrate": Dependency(condition: .completedSuccessfully, restart: true)])
        let job = ServiceView(name: "migrate", isRunning: true, isHealthy: true, restartGeneration: 1)
        #expect(DependentRestarts.decide([afterJob, job]).isEmpty)
    }

    @Test func aStoppedDependentIsLeftAloneAndAnUnknownDependencyIgnored() {
        let stopped = ServiceView(name: "app", dependsOn: healthyRestart, isRunning: false)
        let db = ServiceView(name: "db", isHealthy: true, restartGeneration: 1)
        #expect(DependentRestarts.decide([stopped, db]).isEmpty)
        #expect(DependentRestarts.decide([ServiceView(name: "app", dependsOn: healthyRestart)]).isEmpty)
    }

    @Test func oneRestartPerDependentEvenWithSeveralCauses() {
        let app = ServiceView(
            name: "app",
            dependsOn: healthyRestart.merging(["cache": Dependency(condition: .started, restart: true)]) { a, _ in a })
        let db = ServiceView(name: "db", isHealthy: true, restartGeneration: 1)
        let cache = ServiceView(name: "cache", restartGeneration: 4)
        let worker = ServiceView(name: "worker", dependsOn: healthyRestart)
        let restarts = DependentRestarts.decide([worker, db, cache, app])
        #expect(
            restarts == [
                DependentRestart(service: "app", dependencies: ["db": 1, "cache": 4]),
                DependentRestart(service: "worker", dependencies: ["db": 1]),
            ])
        #expect(restarts.first?.cause == "cache")
    }

    @Test func aChainRestartsOneLevelAtATime() {
        var app = ServiceView(name: "app", dependsOn: healthyRestart, isHealthy: true)
        let web = ServiceView(name: "web", dependsOn: ["app": Dependency(condition: .healthy, restart: true)])
        let db = ServiceView(name: "db", isHealthy: true, restartGeneration: 1)
        #expect(DependentRestarts.decide([web, app, db]).map(\.service) == ["app"])
        // app's own restart is what reaches web, once app is healthy again.
        app.seenGenerations = ["db": 1]
        app.restartGeneration = 1
        #expect(DependentRestarts.decide([web, app, db]).map(\.service) == ["web"])
    }

    @Test func aDependentIsRestartedAfterItsDependencyIsHealthyAgain() async throws {
        let h = SupervisorHarness()
        let db = try await h.runContainer("db")
        let app = try await h.runContainer("app")
        var runtimeEvents = await h.fake.events().makeAsyncIterator()
        var events = await h.supervisor.events().makeAsyncIterator()
        let t0 = h.clock.now
        await h.supervisor.register(
            h.supervised(db, "db", healthcheck: SupervisorHarness.probe(interval: 1, retries: 1)))
        // The dependent's own policy does not matter: compose restarts it whatever it is.
        await h.supervisor.register(
            h.supervised(app, "app", restart: .no, dependsOn: ["db": Dependency(condition: .healthy, restart: true)]))

        await h.clock.advance(toSleeperAt: t0 + .seconds(1))
        #expect(await events.next()?.description == "demo-db-1 health_status: healthy")
        await h.runtime.onExec(exitCode: 1, output: "no connections")
        await h.clock.advance(toSleeperAt: t0 + .seconds(2))
        #expect(await events.next()?.description == "demo-db-1 health_status: unhealthy")
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(2_100))
        #expect(await events.next()?.description == "demo-db-1 restart (unhealthy)")
        // db is back but starting: app is left alone until db is healthy.
        await h.runtime.onExec(exitCode: 0)
        await h.clock.advance(toSleeperAt: t0 + .milliseconds(3_100))
        #expect(await events.next()?.description == "demo-db-1 health_status: healthy")
        let restart = await events.next()
        #expect(restart?.kind == .restart(reason: .dependencyRestarted(service: "db"), after: .zero))
        #expect(restart?.description == "demo-app-1 restart (dependency db restarted)")
        await waitFor(.start, of: app, in: &runtimeEvents)
        #expect(await h.fake.calls.filter { $0.contains("app") } == ["stop demo-app-1", "start demo-app-1"])
        #expect(await h.supervisor.status(of: app)?.restart.restartCount == 0)
        let views = await h.supervisor.serviceViews()
        #expect(views.first { $0.name == "app" }?.seenGenerations == ["db": 1])
    }
}
