import BerthModel
import Testing

@testable import ComposeLoader

/// The dependency graph the loader builds: every key that orders services,
/// cycles named with the place of each edge, start levels and selection.
@Suite("dependency graph from compose files")
struct GraphIntegrationTests {
    private static let chain = """
        services:
          web:
            image: web
            depends_on: [api]
          api:
            image: api
            links: ["db:database"]
          db:
            image: db
            network_mode: service:net
          net:
            image: net
            ipc: service:shm
          shm:
            image: shm
            pid: service:base
          base:
            image: base
          data:
            image: data
            volumes_from: [shm, "net:ro", "container:foo"]
          lone:
            image: lone

        """

    private func load(_ text: String) throws(BerthError) -> (LoadedProject, LoaderScratch) {
        let dir = LoaderScratch()
        dir.write("compose.yaml", text)
        return (try dir.load(), dir)
    }

    @Test("every kind of reference is an edge, with its kind and place")
    func edges() throws {
        let (loaded, dir) = try load(Self.chain)
        let file = "\(dir.root)/compose.yaml"
        let edges = loaded.project.graph.edges.map {
            "\($0.from) -> \($0.to) \($0.kind.rawValue) \($0.location?.description ?? "-")"
        }
        #expect(
            edges == [
                "api -> db links \(file):7:13",
                "data -> net volumes_from \(file):21:25",
                "data -> shm volumes_from \(file):21:20",
                "db -> net network_mode \(file):10:19",
                "net -> shm ipc \(file):13:10",
                "shm -> base pid \(file):16:10",
                "web -> api depends_on \(file):4:18",
            ])
    }

    @Test("start levels: each service after everything it needs")
    func startLevels() throws {
        let graph = try load(Self.chain).0.project.graph
        #expect(graph.startLevels == [["base", "lone"], ["shm"], ["net"], ["data", "db"], ["api"], ["web"]])
        #expect(graph.stopLevels.first == ["web"])
    }

    @Test("selecting a service pulls in its dependencies unless no-deps")
    func selecting() throws {
        let graph = try load(Self.chain).0.project.graph
        #expect(graph.selecting(["web"], noDeps: false) == ["api", "base", "db", "net", "shm", "web"])
        #expect(graph.selecting(["web"], noDeps: true) == ["web"])
        #expect(graph.selecting(["data", "lone"], noDeps: false) == ["base", "data", "lone", "net", "shm"])
        #expect(graph.selecting(["data", "lone"], noDeps: true) == ["data", "lone"])
        #expect(graph.dependents(of: "shm") == ["data", "net"])
    }

    @Test("depends_on long form and several kinds to the same service keep the first edge")
    func longFormAndDuplicates() throws {
        let (loaded, _) = try load(
            """
            services:
              web:
                image: web
                depends_on:
                  db:
                    condition: service_healthy
                    restart: true
                links: [db]
              db:
                image: db
                healthcheck: {test: [CMD, "true"]}
            """)
        let graph = loaded.project.graph
        #expect(graph.edges.map(\.kind) == [.dependsOn])
        #expect(loaded.project.services["web"]?.dependsOn["db"] == Dependency(condition: .healthy, restart: true))
    }

    @Test("a cycle across depends_on, links, network_mode, ipc and pid names the cycle and each edge's place")
    func cycleAcrossKinds() throws {
        let dir = LoaderScratch()
        let file = dir.write(
            "compose.yaml", Self.chain.replacingOccurrences(of: "pid: service:base", with: "pid: service:web"))
        #expect(
            dir.loadError()?.description == """
                \(file):7:13: dependency cycle: api -> db -> net -> shm -> web -> api \
                (api -> db: links at \(file):7:13; db -> net: network_mode at \(file):10:19; \
                net -> shm: ipc at \(file):13:10; shm -> web: pid at \(file):16:10; web -> api: depends_on at \(file):4:18)
                """)
    }

    @Test("a cycle through volumes_from")
    func cycleVolumesFrom() throws {
        let dir = LoaderScratch()
        let file = dir.write(
            "compose.yaml",
            """
            services:
              a:
                image: a
                volumes_from: [b]
              b:
                image: b
                depends_on:
                  a: {condition: service_started}
            """)
        #expect(
            dir.loadError()?.description == """
                \(file):4:20: dependency cycle: a -> b -> a (a -> b: volumes_from at \(file):4:20; b -> a: depends_on at \(file):8:7)
                """)
    }

    @Test("a service that depends on itself")
    func selfLoop() throws {
        let dir = LoaderScratch()
        let file = dir.write("compose.yaml", "services:\n  a:\n    image: a\n    depends_on: [a]\n")
        #expect(
            dir.loadError()?.description
                == "\(file):4:18: dependency cycle: a -> a (a -> a: depends_on at \(file):4:18)")
    }

    @Test("a cycle made by merging two files points into each file")
    func cycleAcrossFiles() throws {
        let dir = LoaderScratch()
        let one = dir.write("one.yaml", "services:\n  a:\n    image: a\n    depends_on: [b]\n  b:\n    image: b\n")
        let two = dir.write("two.yaml", "services:\n  b:\n    links: [a]\n")
        #expect(
            dir.loadError(["one.yaml", "two.yaml"])?.description == """
                \(one):4:18: dependency cycle: a -> b -> a (a -> b: depends_on at \(one):4:18; b -> a: links at \(two):3:13)
                """)
    }

    @Test("references to services that do not exist are errors, all reported at once")
    func undefinedReferences() throws {
        let dir = LoaderScratch()
        let file = dir.write(
            "compose.yaml",
            """
            services:
              web:
                image: web
                depends_on: [dbb]
                links: [cache]
                network_mode: service:proxy
                volumes_from: [store]
              db:
                image: db
            """)
        #expect(
            dir.loadError()?.description == """
                \(file):4:18: services.web.depends_on.dbb: service "dbb" is not defined; did you mean "db"?
                \(file):5:13: services.web.links[0]: service "cache" is not defined
                \(file):6:19: services.web.network_mode: service "proxy" is not defined
                \(file):7:20: services.web.volumes_from[0]: service "store" is not defined
                """)
    }
}
