import BerthModel
import Testing

@testable import ComposeLoader

/// Profiles: the illustrative example of 15-profiles.md, bullet by bullet.
@Suite("profiles")
struct ProfilesTests {
    private static let example = """
        services:
          foo:
            image: foo
          bar:
            image: bar
            profiles:
              - test
          baz:
            image: baz
            depends_on:
              - bar
            profiles:
              - test
          zot:
            image: zot
            depends_on:
              - bar
            profiles:
              - debug

        """

    private func load(profiles: [String] = [], services: [String] = [], environment: [String: String] = [:])
        throws(BerthError) -> LoadedProject
    {
        let dir = LoaderScratch()
        dir.write("compose.yaml", Self.example)
        return try dir.load(environment: environment) {
            $0.profiles = profiles
            $0.services = services
        }
    }

    private func error(profiles: [String] = [], services: [String] = []) -> String? {
        let dir = LoaderScratch()
        dir.write("compose.yaml", Self.example)
        return dir.loadError {
            $0.profiles = profiles
            $0.services = services
        }?.description.replacingOccurrences(of: dir.root + "/", with: "")
    }

    private let zotNeedsBar =
        "compose.yaml:17:9: services.zot.depends_on.bar: depends on \"bar\", which is disabled: enable its profile (test) with --profile"

    @Test("no profile enabled: only foo")
    func noProfile() throws {
        let loaded = try load()
        #expect(loaded.serviceNames == ["foo"])
        #expect(loaded.project.activeProfiles == [])
        // Every declared profile is still listed (`config --profiles`).
        #expect(loaded.allProfiles == ["debug", "test"])
        #expect(loaded.project.graph.services == ["foo"])
    }

    @Test("profile test: bar, baz and foo")
    func test() throws {
        let loaded = try load(profiles: ["test"])
        #expect(loaded.serviceNames == ["bar", "baz", "foo"])
        #expect(loaded.project.activeProfiles == ["test"])
        #expect(loaded.project.graph.startLevels == [["bar", "foo"], ["baz"]])
    }

    @Test("profile debug: zot depends on the disabled bar, an error naming it")
    func debug() {
        #expect(error(profiles: ["debug"]) == zotNeedsBar)
    }

    @Test("profiles debug and test: all four")
    func debugAndTest() throws {
        #expect(try load(profiles: ["debug", "test"]).serviceNames == ["bar", "baz", "foo", "zot"])
    }

    @Test("bar named on the command line: bar and the test profile are active")
    func barTargeted() throws {
        let loaded = try load(services: ["bar"])
        #expect(loaded.serviceNames == ["bar", "baz", "foo"])
        #expect(loaded.project.activeProfiles == ["test"])
        #expect(loaded.project.graph.selecting(["bar"], noDeps: false) == ["bar"])
    }

    @Test("baz named on the command line: test is active and bar comes in through depends_on")
    func bazTargeted() throws {
        let loaded = try load(services: ["baz"])
        #expect(loaded.project.activeProfiles == ["test"])
        #expect(loaded.project.graph.selecting(["baz"], noDeps: false) == ["bar", "baz"])
    }

    @Test("zot named on the command line: bar is still disabled, an error")
    func zotTargeted() {
        #expect(error(services: ["zot"]) == zotNeedsBar)
    }

    @Test("zot named with profile test: debug is enabled too and bar is pulled in")
    func zotTargetedWithTest() throws {
        let loaded = try load(profiles: ["test"], services: ["zot"])
        #expect(loaded.serviceNames == ["bar", "baz", "foo", "zot"])
        #expect(loaded.project.activeProfiles == ["debug", "test"])
        #expect(loaded.project.graph.selecting(["zot"], noDeps: false) == ["bar", "zot"])
    }

    @Test("COMPOSE_PROFILES enables profiles, comma-separated, added to --profile")
    func composeProfilesVariable() throws {
        #expect(try load(environment: ["COMPOSE_PROFILES": "test"]).serviceNames == ["bar", "baz", "foo"])
        #expect(
            try load(environment: ["COMPOSE_PROFILES": "test, debug"]).serviceNames == ["bar", "baz", "foo", "zot"])
        #expect(
            try load(profiles: ["debug"], environment: ["COMPOSE_PROFILES": "test"]).serviceNames == [
                "bar", "baz", "foo", "zot",
            ])
    }

    @Test("COMPOSE_PROFILES from .env")
    func composeProfilesFromDotEnv() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", Self.example)
        dir.write(".env", "COMPOSE_PROFILES=test\n")
        #expect(try dir.load().serviceNames == ["bar", "baz", "foo"])
    }

    @Test("\"*\" enables every profile")
    func star() throws {
        #expect(try load(profiles: ["*"]).serviceNames == ["bar", "baz", "foo", "zot"])
        #expect(try load(environment: ["COMPOSE_PROFILES": "*"]).serviceNames == ["bar", "baz", "foo", "zot"])
    }

    @Test("a service named on the command line that does not exist")
    func unknownService() {
        #expect(error(services: ["zott"]) == "no such service: zott; did you mean \"zot\"?")
    }

    @Test("links and service: references to a disabled service are errors too")
    func otherReferences() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              web:
                image: web
                links: [db]
                network_mode: service:db
              db:
                image: db
                profiles: [data]
            """)
        #expect(
            dir.loadError()?.description == """
                \(dir.root)/compose.yaml:4:13: services.web.links[0]: refers to service "db", which is disabled by its profiles
                \(dir.root)/compose.yaml:5:19: services.web.network_mode: refers to service "db", which is disabled by its profiles
                """)
        #expect(try dir.load { $0.profiles = ["data"] }.serviceNames == ["db", "web"])
    }

    @Test("an optional dependency (required: false) on a disabled service is dropped")
    func optionalDependency() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              web:
                image: web
                depends_on:
                  db: {condition: service_started, required: false}
              db:
                image: db
                profiles: [data]
            """)
        let loaded = try dir.load()
        #expect(loaded.serviceNames == ["web"])
        #expect(loaded.project.services["web"]?.dependsOn == [:])
    }
}
