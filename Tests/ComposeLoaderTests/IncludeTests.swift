import BerthModel
import Testing

@testable import ComposeLoader

/// `include` (14-include.md).
@Suite("include")
struct IncludeTests {
    /// A project with a short include, a long include and a nested include.
    private func project() -> LoaderScratch {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            include:
              - sub/compose.yaml
              - path: other/compose.yaml
                env_file: other/custom.env
            services:
              web:
                image: web
                depends_on: [api, worker, deep]
                networks: [backend]
            """)
        dir.write(
            "sub/compose.yaml",
            """
            include:
              - deeper/compose.yaml
            services:
              api:
                image: api:${API_TAG}
                volumes: ['./data:/data']
                networks: [backend]
            networks:
              backend: {}
            volumes:
              unused: {}
            """)
        dir.write("sub/.env", "API_TAG=from-sub-env\n")
        dir.write(
            "sub/deeper/compose.yaml",
            """
            services:
              deep:
                image: deep:${DEEP:-none}
                build: ./ctx
            """)
        dir.write("other/compose.yaml", "services:\n  worker:\n    image: worker:${WTAG}\n")
        dir.write("other/custom.env", "WTAG=custom\n")
        dir.write("other/.env", "WTAG=default\n")
        return dir
    }

    @Test("short syntax: the included file's resources join, its paths resolve from its own directory")
    func shortSyntax() throws {
        let dir = project()
        let loaded = try dir.load()
        #expect(loaded.serviceNames == ["api", "deep", "web", "worker"])
        let api = try #require(loaded.project.services["api"])
        #expect(api.volumes.first?.source == "\(dir.root)/sub/data")
        #expect(loaded.project.networks["backend"]?.name == "proj_backend")
        #expect(loaded.project.volumes["unused"]?.name == "proj_unused")
        // The including file can use what was included.
        #expect(loaded.project.graph.dependencies(of: "web") == ["api", "deep", "worker"])
        #expect(
            loaded.files == [
                "\(dir.root)/compose.yaml", "\(dir.root)/sub/compose.yaml", "\(dir.root)/sub/deeper/compose.yaml",
                "\(dir.root)/other/compose.yaml",
            ])
    }

    @Test("keepParsedTree is handed every file's parsed tree, included files too, and the project is the same")
    func keepParsedTree() throws {
        let dir = project()
        let kept = KeptTrees()
        let withKeeper = try dir.load { $0.keepParsedTree = { kept.add($0) } }
        let without = try dir.load()
        // The four files' documents, as parsed: services before canonical form.
        let services = kept.trees.flatMap { $0["services"]?.entries?.map(\.key) ?? [] }.sorted()
        #expect(services == ["api", "deep", "web", "worker"])
        #expect(kept.trees.count == 4)
        #expect(Emitter.yaml(withKeeper.canonical) == Emitter.yaml(without.canonical))
    }

    @Test("the included project's .env gives defaults for its interpolation")
    func includedDotEnv() throws {
        let loaded = try project().load()
        #expect(loaded.project.services["api"]?.image == "api:from-sub-env")
    }

    @Test("the including project's .env and the shell override the included .env")
    func localEnvironmentWins() throws {
        let dir = project()
        dir.write(".env", "API_TAG=from-parent\n")
        #expect(try dir.load().project.services["api"]?.image == "api:from-parent")
        #expect(try dir.load(environment: ["API_TAG": "from-shell"]).project.services["api"]?.image == "api:from-shell")
    }

    @Test("long syntax: env_file replaces the included directory's .env")
    func longSyntaxEnvFile() throws {
        #expect(try project().load().project.services["worker"]?.image == "worker:custom")
    }

    @Test("nested include: an included file's own include is loaded, relative to it")
    func nested() throws {
        let dir = project()
        let deep = try #require(try dir.load().project.services["deep"])
        #expect(deep.build?.context == "\(dir.root)/sub/deeper/ctx")
        #expect(deep.image == "deep:none")
    }

    @Test("long syntax: a list of paths merges, project_directory sets where relative paths resolve")
    func longSyntaxPathListAndDirectory() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            include:
              - path:
                  - lib/compose.yaml
                  - lib/override.yaml
                project_directory: shared
            services:
              web: {image: web}
            """)
        dir.write("lib/compose.yaml", "services:\n  lib:\n    image: lib:${TAG}\n    volumes: ['./data:/data']\n")
        dir.write("lib/override.yaml", "services:\n  lib:\n    environment: {OVERRIDDEN: 'yes'}\n")
        // The .env of the project directory, not of the file's directory.
        dir.write("shared/.env", "TAG=shared\n")
        dir.write("lib/.env", "TAG=lib\n")
        let lib = try #require(try dir.load().project.services["lib"])
        #expect(lib.image == "lib:shared")
        #expect(lib.environment == ["OVERRIDDEN": "yes"])
        #expect(lib.volumes.first?.source == "\(dir.root)/shared/data")
    }

    @Test("include paths are interpolated")
    func interpolatedPath() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml", "include:\n  - ${LIB_DIR:?set LIB_DIR}/compose.yaml\nservices:\n  web: {image: web}\n")
        dir.write("lib/compose.yaml", "services:\n  lib: {image: lib}\n")
        #expect(try dir.load(environment: ["LIB_DIR": "lib"]).serviceNames == ["lib", "web"])
        #expect(
            dir.loadError()?.description
                == "\(dir.root)/compose.yaml:2:5: include[0]: required variable LIB_DIR is missing a value: set LIB_DIR"
        )
    }

    @Test("an include cycle is an error that shows every file of the cycle")
    func cycle() throws {
        let dir = project()
        dir.write("sub/deeper/compose.yaml", "include:\n  - ../../compose.yaml\nservices:\n  deep:\n    image: d\n")
        #expect(
            dir.loadError()?.description == """
                \(dir.root)/sub/deeper/compose.yaml:2:5: include[0]: include cycle: \(dir.root)/compose.yaml -> \
                \(dir.root)/sub/compose.yaml -> \(dir.root)/sub/deeper/compose.yaml -> \(dir.root)/compose.yaml
                """)
    }

    @Test("a file that includes itself is a cycle")
    func selfInclude() throws {
        let dir = LoaderScratch()
        let file = dir.write("compose.yaml", "include: [compose.yaml]\nservices:\n  web: {image: web}\n")
        #expect(dir.loadError()?.description == "\(file):1:11: include[0]: include cycle: \(file) -> \(file)")
    }

    @Test("a service defined both here and in an included file is an error")
    func serviceConflict() throws {
        let dir = project()
        dir.write(
            "compose.yaml",
            """
            include:
              - sub/compose.yaml
            services:
              api:
                image: mine
            """)
        #expect(
            dir.loadError()?.description == """
                \(dir.root)/compose.yaml:4:3: services.api: service "api" is defined here and in the included \(dir.root)/sub/compose.yaml
                """)
    }

    @Test("a network or volume of the same name is shared, not an error")
    func sharedNetwork() throws {
        let dir = project()
        dir.write(
            "compose.yaml",
            """
            include:
              - sub/compose.yaml
            services:
              web:
                image: web
                networks: [backend]
            networks:
              backend:
                driver: bridge
            """)
        let loaded = try dir.load()
        #expect(loaded.project.networks["backend"]?.driver == "bridge")
    }

    @Test("a missing included file is named")
    func missing() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "include:\n  - nothere.yaml\nservices:\n  web: {image: web}\n")
        #expect(
            dir.loadError()?.description
                == "\(dir.root)/compose.yaml:2:5: include[0]: included file \(dir.root)/nothere.yaml does not exist")
    }

    @Test("a long-syntax entry needs a path, and unknown keys are reported")
    func longSyntaxErrors() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "include:\n  - project_directory: x\nservices:\n  web: {image: web}\n")
        #expect(
            dir.loadError()?.description
                == "\(dir.root)/compose.yaml:2:5: include[0]: an include entry needs a \"path\"")
        dir.write("compose.yaml", "include:\n  - path: a.yaml\n    paths: b.yaml\nservices:\n  web: {image: web}\n")
        #expect(
            dir.loadError()?.description
                == "\(dir.root)/compose.yaml:3:5: include[0].paths: unknown key \"paths\" (path, project_directory or env_file)"
        )
    }

    @Test("an entry that is an empty list of paths is an error, not a crash")
    func emptyPathList() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "include:\n  - []\nservices:\n  web: {image: web}\n")
        #expect(
            dir.loadError()?.description
                == "\(dir.root)/compose.yaml:2:5: include[0]: an include entry needs a \"path\"")
    }
}

/// The trees a load hands to `keepParsedTree`.
private final class KeptTrees: @unchecked Sendable {
    private(set) var trees: [Node] = []
    func add(_ tree: Node) { trees.append(tree) }
}
