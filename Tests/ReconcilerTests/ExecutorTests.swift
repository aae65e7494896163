import BerthModel
import Reconciler
import RuntimeKit
import TestSupport
import Testing

/// The executor against the fake runtime: order, gating, failure, cleanup.
@Suite("Executor")
struct ExecutorTests {
    @Test func levelsRunInOrderAndALevelsStepsInParallel() async throws {
        let project = try Fixture.project([
            Fixture.service("db", image: "postgres:16"),
            Fixture.service("cache", image: "redis:7"),
            Fixture.service("web", dependsOn: ["db": Dependency(condition: .healthy), "cache": Dependency()]),
        ])
        let runtime = Fixture.runtime()
        try await Fixture.up(project, on: runtime, options: UpOptions(scale: ["web": 2]))
        let calls = await runtime.calls
        #expect(calls.first == "create-network demo_default")
        #expect(
            Set(calls) == [
                "create-network demo_default", "create demo-db-1", "start demo-db-1", "create demo-cache-1",
                "start demo-cache-1", "create demo-web-1", "start demo-web-1", "create demo-web-2", "start demo-web-2",
            ])
        let levelOne = ["create demo-db-1", "start demo-db-1", "create demo-cache-1", "start demo-cache-1"]
        let levelTwo = ["create demo-web-1", "start demo-web-1", "create demo-web-2", "start demo-web-2"]
        let lastOfOne = try #require(levelOne.compactMap { calls.firstIndex(of: $0) }.max())
        let firstOfTwo = try #require(levelTwo.compactMap { calls.firstIndex(of: $0) }.min())
        #expect(lastOfOne < firstOfTwo)
        #expect(calls.firstIndex(of: "create demo-db-1") ?? 0 < calls.firstIndex(of: "start demo-db-1") ?? 0)
    }

    @Test func aDependencyThatExitsNonZeroFailsFastAndTheDependentIsCleanedUp() async throws {
        let project = try Fixture.project([
            Fixture.service("migrate", image: "migrate:1"),
            Fixture.service("app", dependsOn: ["migrate": Dependency(condition: .completedSuccessfully)]),
            Fixture.service("web", dependsOn: ["app": Dependency()]),
        ])
        let runtime = Fixture.runtime()
        // The migration "runs" and fails as soon as it is started.
        let events = await runtime.events()
        let failer = Task {
            for await event in events where event.kind == .start && event.containerName == "demo-migrate-1" {
                await runtime.exit(event.containerID, code: 3)
                return
            }
        }
        let plan = Planner.plan(desired: project, observed: ObservedState(project: project.name))
        let gate = Fixture.gate(runtime, project: project.name)
        do {
            _ = try await Executor(runtime: runtime, gate: gate).execute(plan)
            Issue.record("the plan must fail")
        } catch {
            #expect(error.code == .dependencyFailed)
            #expect(
                error.description == """
                    start container demo-app-1: dependency migrate did not complete successfully: \
                    container demo-migrate-1 exited with code 3
                    """)
        }
        failer.cancel()
        #expect(
            await runtime.calls == [
                "create-network demo_default", "create demo-migrate-1", "start demo-migrate-1", "create demo-app-1",
                "remove demo-app-1",
            ])
    }

    @Test func anOptionalDependencyThatFailsIsAWarning() async throws {
        let project = try Fixture.project([
            Fixture.service("seed"),
            Fixture.service(
                "app", dependsOn: ["seed": Dependency(condition: .completedSuccessfully, required: false)]),
        ])
        let runtime = Fixture.runtime()
        let events = await runtime.events()
        let failer = Task {
            for await event in events where event.kind == .start && event.containerName == "demo-seed-1" {
                await runtime.exit(event.containerID, code: 1)
                return
            }
        }
        let plan = Planner.plan(desired: project, observed: ObservedState(project: project.name))
        let report = try await Executor(runtime: runtime, gate: Fixture.gate(runtime, project: project.name)).execute(
            plan)
        failer.cancel()
        #expect(
            report.warnings == [
                "container demo-app-1: optional dependency skipped: dependency seed did not complete successfully: container demo-seed-1 exited with code 1"
            ])
        #expect(await runtime.calls.last == "start demo-app-1")
    }

    @Test func healthyNeedsAHealthSource() async throws {
        let runtime = Fixture.runtime()
        let project = try Fixture.project([Fixture.service("db")])
        try await Fixture.up(project, on: runtime)
        let gate = RuntimeDependencyGate(project: project.name, runtime: runtime, pollInterval: .milliseconds(1))
        await #expect(
            throws: BerthError(
                .dependencyFailed,
                "dependency db did not become healthy: no health source to read the health of container demo-db-1 from")
        ) {
            try await gate.waitUntil(service: "db", condition: .healthy)
        }
        try await gate.waitUntil(service: "db", condition: .started)
    }

    @Test func aGateTimesOutNamingWhatItWaitedFor() async throws {
        let runtime = Fixture.runtime()
        let project = try Fixture.project([Fixture.service("job")])
        try await Fixture.up(project, on: runtime)
        let gate = RuntimeDependencyGate(
            project: project.name, runtime: runtime, pollInterval: .milliseconds(1), timeout: .milliseconds(20))
        do {
            try await gate.waitUntil(service: "job", condition: .completedSuccessfully)
            Issue.record("a running job has not completed")
        } catch let error as BerthError {
            #expect(error.message.hasPrefix("dependency job did not complete successfully: timed out after"))
            #expect(error.message.hasSuffix("(container demo-job-1 is running)"))
        }
    }

    @Test func verdicts() {
        func container(_ name: String, _ state: ContainerState) -> ContainerInfo {
            ContainerInfo(id: name, name: name, image: "busybox", labels: [:], state: state, createdAt: 0)
        }
        let running = container("a", .running(pid: 1))
        let done = container("b", .exited(code: 0))
        #expect(
            RuntimeDependencyGate.verdict(service: "s", condition: .started, containers: [], health: nil)
                == .failed("service s has no container"))
        #expect(
            RuntimeDependencyGate.verdict(service: "s", condition: .started, containers: [running, done], health: nil)
                == .met)
        #expect(
            RuntimeDependencyGate.verdict(
                service: "s", condition: .completedSuccessfully, containers: [done], health: nil) == .met)
        #expect(
            RuntimeDependencyGate.verdict(
                service: "s", condition: .healthy, containers: [running], health: ["a": .starting])
                == .pending("container a is starting"))
        #expect(
            RuntimeDependencyGate.verdict(
                service: "s", condition: .healthy, containers: [running], health: ["a": .none])
                == .failed("container a has no healthcheck"))
        #expect(
            RuntimeDependencyGate.verdict(
                service: "s", condition: .healthy, containers: [running], health: ["a": .unhealthy])
                == .failed("container a is unhealthy"))
        #expect(
            RuntimeDependencyGate.verdict(
                service: "s", condition: .started, containers: [container("c", .dead)], health: nil)
                == .failed("container c is dead"))
    }

    @Test func downKeepsGoingAndReportsEveryFailure() async throws {
        let project = try Fixture.project([
            Fixture.service("db", volumes: [Mount(type: .volume, source: "data", target: "/data")])
        ])
        let runtime = Fixture.runtime()
        try await Fixture.up(project, on: runtime)
        // Someone else's containers hold the network and the volume.
        var squatter = ContainerSpec(name: "stranger", image: "busybox")
        squatter.networks = [NetworkAttachment(network: "demo_default")]
        squatter.mounts = [.volume(name: "demo_data", target: "/d", readOnly: false, nocopy: false)]
        _ = try await runtime.createContainer(squatter)
        await runtime.clearCalls()
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        let plan = Planner.planDown(desired: project, observed: observed, removeVolumes: true)
        do {
            _ = try await Executor(runtime: runtime, gate: Fixture.gate(runtime, project: project.name)).execute(plan)
            Issue.record("the teardown must report the resources in use")
        } catch {
            #expect(
                error.description == """
                    remove network demo_default: network demo_default is in use by container stranger
                    remove volume demo_data: volume demo_data is in use by container stranger
                    """)
        }
        let calls = await runtime.calls
        #expect(calls.prefix(2) == ["stop demo-db-1", "remove demo-db-1"])
        #expect(Set(calls.dropFirst(2)) == ["remove-network demo_default", "remove-volume demo_data"])
    }
}
