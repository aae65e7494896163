import BerthModel
import Reconciler
import RuntimeKit
import TestSupport
import Testing

/// `up` plans, compared as whole text: what is created, recreated, started,
/// and what is left alone.
@Suite("Planner: up")
struct PlannerUpTests {
    /// db with a named volume; web waits for db to be healthy.
    static func webAndDB(
        webImage: String = "nginx:1.27", dbImage: String = "postgres:16", dbEnvironment: [String: String?] = [:],
        restart: Bool = false
    ) throws -> Project {
        try Fixture.project([
            Fixture.service(
                "db", image: dbImage, environment: dbEnvironment,
                volumes: [Mount(type: .volume, source: "data", target: "/var/lib/postgresql/data")]),
            Fixture.service(
                "web", image: webImage, dependsOn: ["db": Dependency(condition: .healthy, restart: restart)]),
        ])
    }

    @Test func aFreshProjectCreatesEverythingLevelByLevel() throws {
        let project = try Self.webAndDB()
        let plan = Planner.plan(desired: project, observed: ObservedState(project: project.name))
        #expect(
            plan.description == """
                resources:
                  network demo_default: create
                  volume demo_data: create
                level 1:
                  container demo-db-1: create (hash \(Fixture.short(project, "db")))
                  container demo-db-1: start
                level 2:
                  container demo-web-1: create (hash \(Fixture.short(project, "web")))
                  container demo-web-1: start, wait for db healthy
                """)
        #expect(plan.failurePolicy == .stopAtFirstFailure)
    }

    @Test func aSecondUpOnTheSameStatePlansNothing() async throws {
        let project = try Self.webAndDB()
        let runtime = Fixture.runtime()
        try await Fixture.up(project, on: runtime)
        #expect(try await Fixture.planUp(project, on: runtime) == "nothing to do")
    }

    @Test func aChangedImageRecreatesOnlyThatService() async throws {
        let runtime = Fixture.runtime()
        let before = try Self.webAndDB(webImage: "nginx:1.27")
        try await Fixture.up(before, on: runtime)
        let after = try Self.webAndDB(webImage: "busybox")
        #expect(
            try await Fixture.planUp(after, on: runtime) == """
                level 2:
                  container demo-web-1: stop (recreate: config hash \(Fixture.short(before, "web")) → \(Fixture.short(after, "web")))
                  container demo-web-1: remove
                  container demo-web-1: create (hash \(Fixture.short(after, "web")))
                  container demo-web-1: start, wait for db healthy
                """)
    }

    /// A `db` with an anonymous volume at /data, brought up, and the name of
    /// that volume; then the project with db's environment changed.
    private static func upWithAnonymousVolume() async throws
        -> (runtime: FakeRuntime, before: Project, after: Project, volume: String)
    {
        let runtime = Fixture.runtime()
        let data = Mount(type: .volume, source: nil, target: "/data")
        let before = try Fixture.project([Fixture.service("db", environment: ["A": "1"], volumes: [data])])
        try await Fixture.up(before, on: runtime)
        let volume = try #require(try await db(on: runtime).anonymousVolumes?["/data"])
        let after = try Fixture.project([Fixture.service("db", environment: ["A": "2"], volumes: [data])])
        return (runtime, before, after, volume)
    }

    private static func db(on runtime: FakeRuntime) async throws -> ContainerInfo {
        try #require(try await runtime.containers(matching: LabelFilter([ComposeLabel.service: "db"])).first)
    }

    @Test func aRecreateHandsTheAnonymousVolumesToTheNewContainer() async throws {
        let (runtime, before, after, volume) = try await Self.upWithAnonymousVolume()
        #expect(
            try await Fixture.planUp(after, on: runtime) == """
                level 1:
                  container demo-db-1: stop (recreate: config hash \(Fixture.short(before, "db")) → \(Fixture.short(after, "db")))
                  container demo-db-1: remove, keep anonymous volumes
                  container demo-db-1: create (hash \(Fixture.short(after, "db")))
                  container demo-db-1: start
                """)
        try await Fixture.up(after, on: runtime)
        let recreated = try await Self.db(on: runtime)
        #expect(recreated.anonymousVolumes?["/data"] == volume)
        #expect(await runtime.spec(of: recreated.id)?.inheritedVolumes == ["/data": volume])
    }

    @Test func renewingAnonymousVolumesGivesTheRecreatedContainerNewOnes() async throws {
        let (runtime, _, after, volume) = try await Self.upWithAnonymousVolume()
        let plan = try await Fixture.up(after, on: runtime, options: UpOptions(renewAnonymousVolumes: true))
        #expect(plan.description.contains("container demo-db-1: remove\n"))
        let recreated = try await Self.db(on: runtime)
        #expect(recreated.anonymousVolumes?["/data"] != volume)
        #expect(await runtime.spec(of: recreated.id)?.inheritedVolumes == nil)
    }

    @Test func aChangedEnvironmentRecreatesTheServiceButNotItsDependents() async throws {
        let runtime = Fixture.runtime()
        let before = try Self.webAndDB(dbEnvironment: ["POSTGRES_DB": "app"])
        try await Fixture.up(before, on: runtime)
        let after = try Self.webAndDB(dbEnvironment: ["POSTGRES_DB": "shop"])
        let text = try await Fixture.planUp(after, on: runtime)
        #expect(
            text == """
                level 1:
                  container demo-db-1: stop (recreate: config hash \(Fixture.short(before, "db")) → \(Fixture.short(after, "db")))
                  container demo-db-1: remove
                  container demo-db-1: create (hash \(Fixture.short(after, "db")))
                  container demo-db-1: start
                """)
        // Running the plan gives the new container the new environment.
        try await Fixture.up(after, on: runtime)
        let db = try await runtime.containers(matching: LabelFilter([ComposeLabel.service: "db"]))
        #expect(db.count == 1)
        #expect(await runtime.spec(of: db.first?.id ?? "")?.environment == ["POSTGRES_DB": "shop"])
    }

    @Test func aDependentWithRestartTrueIsRecreatedWithItsDependency() async throws {
        let runtime = Fixture.runtime()
        let before = try Self.webAndDB(dbImage: "postgres:16", restart: true)
        try await Fixture.up(before, on: runtime)
        let after = try Self.webAndDB(dbImage: "postgres:17", restart: true)
        #expect(
            try await Fixture.planUp(after, on: runtime) == """
                level 1:
                  container demo-db-1: stop (recreate: config hash \(Fixture.short(before, "db")) → \(Fixture.short(after, "db")))
                  container demo-db-1: remove
                  container demo-db-1: create (hash \(Fixture.short(after, "db")))
                  container demo-db-1: start
                level 2:
                  container demo-web-1: stop (recreate: depends on db with restart: true, which is recreated)
                  container demo-web-1: remove
                  container demo-web-1: create (hash \(Fixture.short(after, "web")))
                  container demo-web-1: start, wait for db healthy
                """)
    }

    @Test func aNetworkModeChildIsRecreatedWithItsParent() async throws {
        func project(vpnImage: String) throws -> Project {
            try Fixture.project([
                Fixture.service("vpn", image: vpnImage),
                Fixture.service("app", networkMode: .service("vpn")),
            ])
        }
        let runtime = Fixture.runtime()
        let before = try project(vpnImage: "busybox")
        try await Fixture.up(before, on: runtime)
        let after = try project(vpnImage: "redis:7")
        #expect(
            try await Fixture.planUp(after, on: runtime) == """
                level 1:
                  container demo-vpn-1: stop (recreate: config hash \(Fixture.short(before, "vpn")) → \(Fixture.short(after, "vpn")))
                  container demo-vpn-1: remove
                  container demo-vpn-1: create (hash \(Fixture.short(after, "vpn")))
                  container demo-vpn-1: start
                level 2:
                  container demo-app-1: stop (recreate: network_mode parent vpn is recreated)
                  container demo-app-1: remove
                  container demo-app-1: create (hash \(Fixture.short(after, "app")))
                  container demo-app-1: start
                """)
    }

    @Test func noDepsPlansOnlyTheSelectedServiceAndWaitsForNothingLeftOut() throws {
        let project = try Self.webAndDB()
        let observed = ObservedState(project: project.name)
        let alone = Planner.plan(
            desired: project, observed: observed, options: UpOptions(services: ["web"], noDeps: true))
        #expect(
            alone.description == """
                resources:
                  network demo_default: create
                level 2:
                  container demo-web-1: create (hash \(Fixture.short(project, "web")))
                  container demo-web-1: start
                """)
        // Without --no-deps the dependency comes along, volume and all.
        let withDeps = Planner.plan(desired: project, observed: observed, options: UpOptions(services: ["web"]))
        #expect(withDeps.description.contains("container demo-db-1: create"))
        #expect(withDeps.description.contains("volume demo_data: create"))
    }

    @Test func forceRecreateAppliesToTheSelectedServicesOnly() async throws {
        let runtime = Fixture.runtime()
        let project = try Self.webAndDB()
        try await Fixture.up(project, on: runtime)
        let text = try await Fixture.planUp(
            project, on: runtime, options: UpOptions(services: ["web"], forceRecreate: true))
        #expect(
            text == """
                level 2:
                  container demo-web-1: stop (recreate: forced)
                  container demo-web-1: remove
                  container demo-web-1: create (hash \(Fixture.short(project, "web")))
                  container demo-web-1: start, wait for db healthy
                """)
    }

    @Test func noRecreateLeavesChangedContainersAlone() async throws {
        let runtime = Fixture.runtime()
        try await Fixture.up(try Self.webAndDB(webImage: "nginx:1.27"), on: runtime)
        let changed = try Self.webAndDB(webImage: "busybox")
        let options = UpOptions(forceRecreate: true, noRecreate: true)
        #expect(try await Fixture.planUp(changed, on: runtime, options: options) == "nothing to do")
    }

    @Test func stoppedContainersAreStartedAndNoStartOnlyCreates() async throws {
        let runtime = Fixture.runtime()
        let project = try Self.webAndDB()
        try await Fixture.up(project, on: runtime)
        await runtime.exit(try await Fixture.id(of: "demo-web-1", on: runtime), code: 137)
        #expect(
            try await Fixture.planUp(project, on: runtime) == """
                level 2:
                  container demo-web-1: start, wait for db healthy (exited with code 137)
                """)

        let fresh = Planner.plan(
            desired: project, observed: ObservedState(project: project.name), options: UpOptions(noStart: true))
        #expect(
            fresh.description == """
                resources:
                  network demo_default: create
                  volume demo_data: create
                level 1:
                  container demo-db-1: create (hash \(Fixture.short(project, "db")))
                level 2:
                  container demo-web-1: create (hash \(Fixture.short(project, "web")))
                """)
    }

    @Test func anOptionalDependencyMissingFromTheProjectIsNotWaitedFor() throws {
        let project = try Fixture.project([
            Fixture.service(
                "web",
                dependsOn: [
                    "cache": Dependency(condition: .healthy, required: false),
                    "auth": Dependency(condition: .started, required: true),
                ])
        ])
        let plan = Planner.plan(desired: project, observed: ObservedState(project: project.name))
        // The required one stays, so the start fails naming it.
        #expect(plan.description.hasSuffix("container demo-web-1: start, wait for auth started"))
    }

    @Test func externalVolumesAreNeverCreated() throws {
        let project = try Fixture.project(
            [Fixture.service("db", volumes: [Mount(type: .volume, source: "shared", target: "/data")])],
            externalVolumes: ["shared"])
        let plan = Planner.plan(desired: project, observed: ObservedState(project: project.name))
        #expect(!plan.description.contains("volume"))
    }
}
