import BerthModel
import Reconciler
import RuntimeKit
import TestSupport
import Testing

/// `down` plans: dependents stop first, networks go, volumes only with
/// `--volumes`, external ones never.
@Suite("Planner: down")
struct PlannerDownTests {
    static func project(withOld: Bool = false) throws -> Project {
        var services = [
            Fixture.service(
                "db", image: "postgres:16",
                volumes: [
                    Mount(type: .volume, source: "data", target: "/var/lib/postgresql/data"),
                    Mount(type: .volume, source: "shared", target: "/shared"),
                ]),
            Fixture.service("web", image: "nginx:1.27", dependsOn: ["db": Dependency(condition: .healthy)]),
            Fixture.service("worker", dependsOn: ["web": Dependency()]),
        ]
        if withOld { services.append(Fixture.service("old")) }
        return try Fixture.project(services, externalVolumes: ["shared"])
    }

    /// A runtime after `up`, with the external volume made by someone else.
    static func upRuntime(_ project: Project) async throws -> FakeRuntime {
        let runtime = Fixture.runtime()
        _ = try await runtime.createVolume(name: "shared", labels: [:])
        try await Fixture.up(project, on: runtime)
        await runtime.clearCalls()
        return runtime
    }

    @Test func downStopsDependentsFirstAndKeepsNamedVolumes() async throws {
        let project = try Self.project()
        let runtime = try await Self.upRuntime(project)
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        let plan = Planner.planDown(desired: project, observed: observed)
        #expect(
            plan.description == """
                note: volume demo_data is kept; --volumes removes it
                level 3:
                  container demo-worker-1: stop
                  container demo-worker-1: remove
                level 2:
                  container demo-web-1: stop
                  container demo-web-1: remove
                level 1:
                  container demo-db-1: stop
                  container demo-db-1: remove
                resources:
                  network demo_default: remove
                """)
        #expect(plan.failurePolicy == .keepGoing)
        _ = try await Executor(runtime: runtime, gate: Fixture.gate(runtime, project: project.name)).execute(plan)
        #expect(
            await runtime.calls == [
                "stop demo-worker-1", "remove demo-worker-1", "stop demo-web-1", "remove demo-web-1", "stop demo-db-1",
                "remove demo-db-1", "remove-network demo_default",
            ])
        #expect(try await runtime.volumes(matching: LabelFilter()).map(\.name) == ["demo_data", "shared"])
    }

    @Test func downWithVolumesRemovesNamedVolumesButNeverExternalOnes() async throws {
        let project = try Self.project()
        let runtime = try await Self.upRuntime(project)
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        let plan = Planner.planDown(desired: project, observed: observed, removeVolumes: true)
        #expect(
            plan.stages.last?.steps.map(\.lines) == [["network demo_default: remove"], ["volume demo_data: remove"]])
        _ = try await Executor(runtime: runtime, gate: Fixture.gate(runtime, project: project.name)).execute(plan)
        #expect(try await runtime.volumes(matching: LabelFilter()).map(\.name) == ["shared"])
        #expect(
            try await Planner.planDown(
                desired: project, observed: ObservedState.observe(project: project.name, runtime: runtime)
            ).description == "nothing to do")
    }

    @Test func downWithoutAProjectOrdersByTheRecordedDependencies() async throws {
        let project = try Self.project()
        let runtime = try await Self.upRuntime(project)
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        let plan = Planner.planDown(observed: observed, removeVolumes: true, removeOrphans: false)
        #expect(
            plan.description == """
                level 3:
                  container demo-worker-1: stop
                  container demo-worker-1: remove
                level 2:
                  container demo-web-1: stop
                  container demo-web-1: remove
                level 1:
                  container demo-db-1: stop
                  container demo-db-1: remove
                resources:
                  network demo_default: remove
                  volume demo_data: remove
                """)
    }

    @Test func orphansAreKeptByDownUnlessAsked() async throws {
        let runtime = try await Self.upRuntime(try Self.project(withOld: true))
        let project = try Self.project()
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        let kept = Planner.planDown(desired: project, observed: observed)
        #expect(
            kept.notes == [
                "orphan container demo-old-1 (service old) is kept; --remove-orphans removes it",
                "volume demo_data is kept; --volumes removes it",
            ])
        #expect(!kept.description.contains("container demo-old-1: stop"))
        let removed = Planner.planDown(desired: project, observed: observed, removeOrphans: true)
        #expect(removed.stages.first?.title == "orphans")
        #expect(
            removed.stages.first?.steps.flatMap(\.lines) == [
                "container demo-old-1: stop (orphan)", "container demo-old-1: remove",
            ])
    }

    @Test func anotherProjectsObjectsAreNeitherObservedNorTouched() async throws {
        let project = try Self.project()
        let runtime = try await Self.upRuntime(project)
        var other = ContainerSpec(name: "other-web-1", image: "busybox")
        other.labels = [ComposeLabel.project: "other", ComposeLabel.service: "web"]
        _ = try await runtime.createContainer(other)
        _ = try await runtime.createNetwork(NetworkSpec(name: "other_default", labels: [ComposeLabel.project: "other"]))
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        #expect(observed.containers.map(\.name) == ["demo-db-1", "demo-web-1", "demo-worker-1"])
        #expect(observed.networks.map(\.name) == ["demo_default"])
        #expect(observed.volumes.map(\.name) == ["demo_data"])
        let plan = Planner.planDown(observed: observed, removeVolumes: true)
        #expect(!plan.description.contains("other"))
    }

    @Test func exitedContainersAreRemovedWithoutAStop() async throws {
        let project = try Fixture.project([Fixture.service("job")])
        let runtime = Fixture.runtime()
        try await Fixture.up(project, on: runtime)
        await runtime.exit(try await Fixture.id(of: "demo-job-1", on: runtime), code: 0)
        let observed = try await ObservedState.observe(project: project.name, runtime: runtime)
        #expect(
            Planner.planDown(desired: project, observed: observed).description == """
                level 1:
                  container demo-job-1: remove
                resources:
                  network demo_default: remove
                """)
    }
}
