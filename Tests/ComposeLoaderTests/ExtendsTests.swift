import BerthModel
import Testing

@testable import ComposeLoader

/// `extends` (05-services.md): in the same file, from another file, chained,
/// with the spec's merge examples and the errors.
@Suite("extends")
struct ExtendsTests {
    @Test("a service extends another in the same file; its own keys win")
    func sameFile() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              base:
                image: busybox
                user: root
                environment: {A: "1", B: "1"}
              web:
                extends: base
                user: web
                environment: {B: "2"}
              short:
                extends:
                  service: base
            """)
        let loaded = try dir.load()
        let web = try #require(loaded.project.services["web"])
        #expect(web.image == "busybox")
        #expect(web.user == "web")
        #expect(web.environment == ["A": "1", "B": "2"])
        #expect(loaded.project.services["short"]?.user == "root")
        // The base service stays a service of its own; `extends` is gone from the output.
        #expect(loaded.serviceNames == ["base", "short", "web"])
        #expect(!Emitter.yaml(loaded.canonical).contains("extends"))
    }

    @Test("extends from another file: relative paths in that file resolve against its directory")
    func otherFile() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              web:
                extends:
                  file: common/base.yaml
                  service: app
                environment:
                  LOCAL: "1"
                volumes:
                  - ./mine:/mine
            """)
        dir.write(
            "common/base.yaml",
            """
            services:
              app:
                build: ./app
                env_file: app.env
                volumes: ['./data:/data']
                environment: {BASE: "1"}
            """)
        dir.write("common/app.env", "FROM_FILE=yes\n")
        let loaded = try dir.load()
        let web = try #require(loaded.project.services["web"])
        #expect(web.build?.context == "\(dir.root)/common/app")
        #expect(web.volumes.map(\.source) == ["\(dir.root)/common/data", "\(dir.root)/mine"])
        #expect(web.environment == ["BASE": "1", "LOCAL": "1", "FROM_FILE": "yes"])
        // Services of the other file are not part of this project.
        #expect(loaded.serviceNames == ["web"])
        #expect(loaded.files == ["\(dir.root)/compose.yaml", "\(dir.root)/common/base.yaml"])
    }

    @Test("a chain of three across files: each file's relative extends.file is its own")
    func chainAcrossFiles() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              cli:
                extends: {file: one/a.yaml, service: a}
                command: cli
            """)
        dir.write(
            "one/a.yaml",
            """
            services:
              a:
                extends: {file: ../two/b.yaml, service: b}
                environment: {FROM_A: "1"}
            """)
        dir.write(
            "two/b.yaml",
            """
            services:
              b:
                image: base:1
                volumes: ['./b-data:/b']
                environment: {FROM_B: "1", FROM_A: "0"}
            """)
        let cli = try #require(try dir.load().project.services["cli"])
        #expect(cli.image == "base:1")
        #expect(cli.command == ["cli"])
        #expect(cli.environment == ["FROM_A": "1", "FROM_B": "1"])
        #expect(cli.volumes.first?.source == "\(dir.root)/two/b-data")
    }

    @Test("05-services.md: a chain of three in one file (cli gets user from base through common)")
    func specChain() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              base:
                image: busybox
                user: root
              common:
                image: busybox
                extends:
                  service: base
              cli:
                extends:
                  service: common
            """)
        let loaded = try dir.load()
        #expect(
            loaded.serviceYAML("cli") == """
                image: busybox
                networks:
                  default: null
                user: root

                """)
    }

    @Test("05-services.md: mappings merge, the same with the array syntax")
    func specMappings() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              common:
                image: busybox
                environment:
                  TZ: utc
                  PORT: 80
              cli:
                extends:
                  service: common
                environment:
                  PORT: 8080
            """)
        dir.write(
            "array.yaml",
            """
            services:
              common:
                image: busybox
                environment:
                  - TZ=utc
                  - PORT=80
              cli:
                extends:
                  service: common
                environment:
                  - PORT=8080
            """)
        let expected = """
            environment:
              PORT: "8080"
              TZ: utc
            image: busybox
            networks:
              default: null

            """
        #expect(try dir.load().serviceYAML("cli") == expected)
        #expect(try dir.load(["array.yaml"]).serviceYAML("cli") == expected)
    }

    @Test("05-services.md: volumes are keyed by target (cli-volume replaces common-volume, ro applies)")
    func specVolumes() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              common:
                image: busybox
                volumes:
                  - common-volume:/var/lib/backup/data:rw
              cli:
                extends:
                  service: common
                volumes:
                  - cli-volume:/var/lib/backup/data:ro
            volumes:
              common-volume:
              cli-volume:
            """)
        #expect(
            try dir.load().serviceYAML("cli") == """
                image: busybox
                networks:
                  default: null
                volumes:
                  - type: volume
                    source: cli-volume
                    target: /var/lib/backup/data
                    read_only: true

                """)
    }

    @Test("05-services.md the other way round: the main service's read-write volume drops the base's ro")
    func specVolumesReadWriteWins() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              common:
                image: busybox
                volumes:
                  - common-volume:/var/lib/backup/data:ro
              cli:
                extends:
                  service: common
                volumes:
                  - cli-volume:/var/lib/backup/data
            volumes:
              common-volume:
              cli-volume:
            """)
        #expect(
            try dir.load().serviceYAML("cli") == """
                image: busybox
                networks:
                  default: null
                volumes:
                  - type: volume
                    source: cli-volume
                    target: /var/lib/backup/data

                """)
    }

    @Test("05-services.md: sequences combine, base items first, duplicates removed")
    func specSequences() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              common:
                image: busybox
                security_opt:
                  - label:role:ROLE
                cap_add: [NET_ADMIN, SYS_TIME]
                dns: [1.1.1.1]
              cli:
                extends:
                  service: common
                security_opt:
                  - label:user:USER
                cap_add: [SYS_TIME, CHOWN]
                dns: [1.1.1.1]
            """)
        let cli = try #require(try dir.load().project.services["cli"])
        #expect(cli.securityOpt == ["label:role:ROLE", "label:user:USER"])
        #expect(cli.capAdd == ["NET_ADMIN", "SYS_TIME", "CHOWN"])
        // dns is a sequence whose duplicates are kept.
        #expect(cli.dns == ["1.1.1.1", "1.1.1.1"])
    }

    @Test("command and healthcheck.test of the main service replace the base's")
    func commandReplaced() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              common:
                image: busybox
                command: [sleep, "10"]
                healthcheck: {test: [CMD, "true"], interval: 3s}
              cli:
                extends: common
                command: [sleep, "20"]
                healthcheck: {test: [CMD, "false"]}
            """)
        let cli = try #require(try dir.load().project.services["cli"])
        #expect(cli.command == ["sleep", "20"])
        #expect(cli.healthcheck?.test == ["CMD", "false"])
        #expect(cli.healthcheck?.interval == 3_000_000_000)
    }

    @Test("a cycle is an error that shows the whole cycle and where each step is")
    func cycle() throws {
        let dir = LoaderScratch()
        let file = dir.write(
            "compose.yaml",
            """
            services:
              a:
                image: x
                extends: b
              b:
                image: y
                extends:
                  service: c
              c:
                image: z
                extends:
                  service: a
            """)
        #expect(
            dir.loadError()?.description == """
                \(file):4:14: services.a.extends: extends cycle: a -> b -> c -> a \
                (a at \(file):4:14; b at \(file):8:7; c at \(file):12:7)
                """)
    }

    @Test("a service that extends itself is a cycle")
    func selfCycle() throws {
        let dir = LoaderScratch()
        let file = dir.write("compose.yaml", "services:\n  self:\n    image: s\n    extends: self\n")
        #expect(
            dir.loadError()?.description
                == "\(file):4:14: services.self.extends: extends cycle: self -> self (self at \(file):4:14)")
    }

    @Test("a cycle through another file names the files")
    func cycleAcrossFiles() throws {
        let dir = LoaderScratch()
        let main = dir.write("compose.yaml", "services:\n  web:\n    extends: {file: other.yaml, service: app}\n")
        let other = dir.write(
            "other.yaml", "services:\n  app:\n    image: a\n    extends: {file: compose.yaml, service: web}\n")
        #expect(
            dir.loadError()?.description == """
                \(main):3:14: services.web.extends: extends cycle: web (compose.yaml) -> app (other.yaml) -> web (compose.yaml) \
                (web (compose.yaml) at \(main):3:14; app (other.yaml) at \(other):4:14)
                """)
    }

    @Test("a missing service is named, with a suggestion")
    func missingService() throws {
        let dir = LoaderScratch()
        let file = dir.write("compose.yaml", "services:\n  web:\n    image: x\n  typo:\n    extends: wbe\n")
        #expect(
            dir.loadError()?.description == """
                \(file):5:14: services.typo.extends.service: service "typo" extends "wbe", which is not defined; did you mean "web"?
                """)
    }

    @Test("a missing service in another file names that file")
    func missingServiceInOtherFile() throws {
        let dir = LoaderScratch()
        let file = dir.write(
            "compose.yaml", "services:\n  web:\n    extends:\n      file: common.yaml\n      service: ap\n")
        dir.write("common.yaml", "services:\n  app:\n    image: a\n")
        #expect(
            dir.loadError()?.description == """
                \(file):5:16: services.web.extends.service: service "web" extends "ap", which is not defined in \(dir.root)/common.yaml; did you mean "app"?
                """)
    }

    @Test("a missing file is named")
    func missingFile() throws {
        let dir = LoaderScratch()
        let file = dir.write(
            "compose.yaml", "services:\n  web:\n    extends:\n      file: nothere.yaml\n      service: app\n")
        #expect(
            dir.loadError()?.description == """
                \(file):4:13: services.web.extends.file: service "web" extends a service in \(dir.root)/nothere.yaml, which does not exist
                """)
    }
}
