import BerthModel
import Reconciler
import RuntimeKit
import TestSupport
import Testing

/// Replica counts and containers the project no longer names.
@Suite("Planner: scale and orphans")
struct PlannerScaleTests {
    static func project(withOld: Bool = false) throws -> Project {
        var services = [
            Fixture.service("db", image: "postgres:16"),
            Fixture.service("web", image: "nginx:1.27", dependsOn: ["db": Dependency(condition: .started)]),
        ]
        if withOld { services.append(Fixture.service("old")) }
        return try Fixture.project(services)
    }

    @Test func scaleUpCreatesTheNextNumbersAndScaleDownRemovesTheHighest() async throws {
        let runtime = Fixture.runtime()
        let project = try Self.project()
        try await Fixture.up(project, on: runtime)
        let hash = Fixture.short(project, "web")

        let up = UpOptions(scale: ["web": 3])
        #expect(
            try await Fixture.planUp(project, on: runtime, options: up) == """
                level 2:
                  container demo-web-2: create (hash \(hash))
                  container demo-web-2: start, wait for db started
                  container demo-web-3: create (hash \(hash))
                  container demo-web-3: start, wait for db started
                """)
        try await Fixture.up(project, on: runtime, options: up)
        #expect(try await Fixture.planUp(project, on: runtime, options: up) == "nothing to do")

        let down = UpOptions(scale: ["web": 1])
        #expect(
            try await Fixture.planUp(project, on: runtime, options: down) == """
                level 2:
                  container demo-web-2: stop (scale down to 1)
                  container demo-web-2: remove
                  container demo-web-3: stop (scale down to 1)
                  container demo-web-3: remove
                """)
        try await Fixture.up(project, on: runtime, options: down)
        let left = try await runtime.containers(matching: LabelFilter([ComposeLabel.service: "web"]))
        #expect(left.map(\.name) == ["demo-web-1"])
    }

    @Test func aMissingLowNumberIsFilledFirst() async throws {
        let runtime = Fixture.runtime()
        let project = try Self.project()
        try await Fixture.up(project, on: runtime, options: UpOptions(scale: ["web": 2]))
        try await runtime.removeContainer("demo-web-1", force: true)
        #expect(
            try await Fixture.planUp(project, on: runtime, options: UpOptions(scale: ["web": 2])) == """
                level 2:
                  container demo-web-1: create (hash \(Fixture.short(project, "web")))
                  container demo-web-1: start, wait for db started
                """)
    }

    @Test func scaleZeroRemovesEveryReplicaAndDropsWaitsOnIt() async throws {
        let runtime = Fixture.runtime()
        let project = try Self.project()
        try await Fixture.up(project, on: runtime)
        #expect(
            try await Fixture.planUp(project, on: runtime, options: UpOptions(forceRecreate: true, scale: ["db": 0]))
                == """
                level 1:
                  container demo-db-1: stop (scale down to 0)
                  container demo-db-1: remove
                level 2:
                  container demo-web-1: stop (recreate: forced)
                  container demo-web-1: remove
                  container demo-web-1: create (hash \(Fixture.short(project, "web")))
                  container demo-web-1: start
                """)
    }

    @Test func orphansAreReportedButKept() async throws {
        let runtime = Fixture.runtime()
        try await Fixture.up(try Self.project(withOld: true), on: runtime)
        #expect(
            try await Fixture.planUp(try Self.project(), on: runtime) == """
                note: orphan container demo-old-1 (service old) is kept; --remove-orphans removes it
                nothing to do
                """)
    }

    @Test func removeOrphansStopsAndRemovesThemFirst() async throws {
        let runtime = Fixture.runtime()
        try await Fixture.up(try Self.project(withOld: true), on: runtime)
        let project = try Self.project()
        let text = try await Fixture.planUp(project, on: runtime, options: UpOptions(removeOrphans: true))
        #expect(
            text == """
                orphans:
                  container demo-old-1: stop (orphan: service old is not in the project)
                  container demo-old-1: remove
                """)
        try await Fixture.up(project, on: runtime, options: UpOptions(removeOrphans: true))
        #expect(try await runtime.containers(matching: LabelFilter([ComposeLabel.service: "old"])).isEmpty)
    }

    @Test func oneOffContainersAreNeitherReplicasNorOrphans() async throws {
        let runtime = Fixture.runtime()
        let project = try Self.project()
        try await Fixture.up(project, on: runtime)
        var run = ContainerSpec(name: "demo-gone-run-1a2b", image: "busybox")
        run.labels = [
            ComposeLabel.project: "demo", ComposeLabel.service: "gone", ComposeLabel.oneoff: "True",
            ComposeLabel.containerNumber: "1",
        ]
        run.networks = [NetworkAttachment(network: "demo_default")]
        _ = try await runtime.createContainer(run)
        #expect(try await Fixture.planUp(project, on: runtime) == "nothing to do")
    }

    @Test func aSelectedServiceLeavesOthersAloneAndUnknownNamesAreNoted() throws {
        let project = try Self.project(withOld: true)
        let text = Planner.plan(
            desired: project, observed: ObservedState(project: project.name),
            options: UpOptions(services: ["old", "nope"])
        ).description
        #expect(
            text == """
                note: service nope is not in the project; ignored
                resources:
                  network demo_default: create
                level 1:
                  container demo-old-1: create (hash \(Fixture.short(project, "old")))
                  container demo-old-1: start
                """)
    }
}
