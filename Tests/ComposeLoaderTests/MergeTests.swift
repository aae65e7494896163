import BerthModel
import Testing

@testable import ComposeLoader

/// Several compose files merged by the rules of 13-merge.md.
@Suite("Merging -f files")
struct MergeTests {
    private let base = """
        services:
          app:
            image: myapp
            user: root
            command: ["echo", "foo"]
            entrypoint: /bin/sh
            dns: [1.1.1.1]
            ports:
              - "8080:80"
              - "9000:9000"
            volumes:
              - foo:/work
              - ./data:/data
            environment:
              FOO: BAR
              KEEP: "1"
            labels: [a=1]
            healthcheck:
              test: ["CMD", "true"]
              interval: 5s
            secrets:
              - source: s1
                target: /run/secrets/app
        volumes: {foo: {}, bar: {}}
        secrets: {s1: {file: ./s1}, s2: {file: ./s2}}

        """

    @Test("mappings merge by key: later values win, missing keys are added")
    func mappingsMerge() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write(
            "override.yaml",
            """
            services:
              app:
                image: other
                environment:
                  FOO: baz
                  NEW: "2"
                labels: {b: "2"}
            """)
        let app = try #require(try dir.load(["compose.yaml", "override.yaml"]).project.services["app"])
        #expect(app.image == "other")
        #expect(app.user == "root")
        #expect(app.environment == ["FOO": "baz", "KEEP": "1", "NEW": "2"])
        #expect(app.labels == ["a": "1", "b": "2"])
    }

    @Test("sequences append, the earlier file's items first")
    func sequencesAppend() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write("override.yaml", "services:\n  app:\n    dns: [8.8.8.8]\n")
        let app = try #require(try dir.load(["compose.yaml", "override.yaml"]).project.services["app"])
        #expect(app.dns == ["1.1.1.1", "8.8.8.8"])
    }

    @Test("command, entrypoint and healthcheck.test are replaced, not appended")
    func shellCommandsReplaced() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write(
            "override.yaml",
            """
            services:
              app:
                command: ["echo", "bar"]
                entrypoint: [/bin/bash, -c]
                healthcheck:
                  test: ["CMD", "false"]
            """)
        let loaded = try dir.load(["compose.yaml", "override.yaml"])
        let app = try #require(loaded.project.services["app"])
        #expect(app.command == ["echo", "bar"])
        #expect(app.entrypoint == ["/bin/bash", "-c"])
        #expect(app.healthcheck?.test == ["CMD", "false"])
        // The rest of the healthcheck mapping still merges.
        #expect(app.healthcheck?.interval == 5_000_000_000)
    }

    @Test("a string command in the override replaces a list command")
    func stringCommandReplacesList() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write("override.yaml", "services:\n  app:\n    command: run --fast\n")
        let app = try #require(try dir.load(["compose.yaml", "override.yaml"]).project.services["app"])
        #expect(app.command == ["run", "--fast"])
    }

    @Test("ports merge on {ip, target, published, protocol}")
    func portsByUniqueKey() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write(
            "override.yaml",
            """
            services:
              app:
                ports:
                  - "8080:80"
                  - "8443:443"
                  - "8080:80/udp"
                  - "127.0.0.1:8080:80"
            """)
        let app = try #require(try dir.load(["compose.yaml", "override.yaml"]).project.services["app"])
        #expect(
            app.ports == [
                PortMapping(target: 80, published: "8080"),
                PortMapping(target: 9000, published: "9000"),
                PortMapping(target: 443, published: "8443"),
                PortMapping(target: 80, published: "8080", protocol: .udp),
                PortMapping(target: 80, published: "8080", hostIP: "127.0.0.1"),
            ])
    }

    @Test("volumes merge on target: the spec's foo:/work then bar:/work gives bar:/work")
    func volumesByTarget() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write("override.yaml", "services:\n  app:\n    volumes:\n      - bar:/work:ro\n      - ./logs:/logs\n")
        let app = try #require(try dir.load(["compose.yaml", "override.yaml"]).project.services["app"])
        #expect(app.volumes.map(\.target) == ["/work", "/data", "/logs"])
        #expect(app.volumes[0].source == "bar")
        #expect(app.volumes[0].readOnly)
        #expect(app.volumes[1].source == "\(dir.root)/data")
        #expect(app.volumes[2].source == "\(dir.root)/logs")
    }

    @Test("an entry sharing a unique key replaces the earlier one whole, as compose-go does: no :ro or name left over")
    func uniqueKeyEntryReplacedWhole() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              app:
                image: myapp
                ports:
                  - {target: 80, published: "8080", name: web, app_protocol: http}
                volumes:
                  - ./a:/data:ro
                  - {type: bind, source: ./x, target: /x, read_only: true, bind: {propagation: rshared}}
            """)
        dir.write(
            "override.yaml",
            """
            services:
              app:
                ports: ["8080:80"]
                volumes: [./b:/data, ./y:/x]
            """)
        #expect(
            try dir.load(["compose.yaml", "override.yaml"]).serviceYAML("app") == """
                image: myapp
                networks:
                  default: null
                ports:
                  - mode: ingress
                    target: 80
                    published: "8080"
                    protocol: tcp
                volumes:
                  - type: bind
                    source: \(dir.root)/b
                    target: /data
                    bind:
                      create_host_path: true
                  - type: bind
                    source: \(dir.root)/y
                    target: /x
                    bind:
                      create_host_path: true

                """)
    }

    @Test("secrets and configs merge on target")
    func secretsAndConfigsByTarget() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              app:
                image: myapp
                secrets:
                  - source: s1
                    target: /run/secrets/app
                  - s3
                configs:
                  - source: c1
                    target: /etc/app.conf
            secrets: {s1: {file: ./s1}, s2: {file: ./s2}, s3: {file: ./s3}}
            configs: {c1: {file: ./c1}, c2: {file: ./c2}}
            """)
        dir.write(
            "override.yaml",
            """
            services:
              app:
                secrets:
                  - source: s2
                    target: /run/secrets/app
                  - s3
                configs:
                  - source: c2
                    target: /etc/app.conf
                    mode: 0440
                  - source: c1
                    target: /etc/other.conf
            """)
        let app = try #require(try dir.load(["compose.yaml", "override.yaml"]).project.services["app"])
        #expect(app.secrets == [FileReference(source: "s2", target: "/run/secrets/app"), FileReference(source: "s3")])
        #expect(
            app.configs == [
                FileReference(source: "c2", target: "/etc/app.conf", mode: 0o440),
                FileReference(source: "c1", target: "/etc/other.conf"),
            ])
    }

    @Test("!reset removes a scalar, a list and one mapping entry; the example of 13-merge.md")
    func reset() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write(
            "override.yaml",
            """
            services:
              app:
                image: myapp
                user: !reset null
                ports: !reset []
                environment:
                  FOO: !reset null
                labels: !reset {}
                secrets: !reset []
            """)
        let loaded = try dir.load(["compose.yaml", "override.yaml"])
        let app = try #require(loaded.project.services["app"])
        #expect(app.user == nil)
        #expect(app.ports == [])
        #expect(app.environment == ["KEEP": "1"])
        #expect(app.labels == [:])
        #expect(app.secrets == [])
        #expect(!loaded.serviceYAML("app").contains("user:"))
        #expect(!loaded.serviceYAML("app").contains("ports:"))
    }

    @Test("!reset in the environment's list form is a value, not a tag")
    func resetTextInList() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write("override.yaml", "services:\n  app:\n    environment:\n      - FOO=!reset\n")
        let app = try #require(try dir.load(["compose.yaml", "override.yaml"]).project.services["app"])
        #expect(app.environment["FOO"] == "!reset")
    }

    @Test("!reset on a whole service removes it")
    func resetService() throws {
        let dir = LoaderScratch()
        dir.write(
            "compose.yaml",
            """
            services:
              app: {image: a}
              debug: {image: b}
            """)
        dir.write("override.yaml", "services:\n  debug: !reset {}\n")
        #expect(try dir.load(["compose.yaml", "override.yaml"]).serviceNames == ["app"])
    }

    @Test("!override replaces a list and a mapping instead of merging; the example of 13-merge.md")
    func override() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", base)
        dir.write(
            "override.yaml",
            """
            services:
              app:
                ports: !override
                  - "8443:443"
                environment: !override
                  ONLY: "yes"
                dns: !override [9.9.9.9]
            """)
        let app = try #require(try dir.load(["compose.yaml", "override.yaml"]).project.services["app"])
        #expect(app.ports == [PortMapping(target: 443, published: "8443")])
        #expect(app.environment == ["ONLY": "yes"])
        #expect(app.dns == ["9.9.9.9"])
        #expect(app.image == "myapp")
    }

    @Test("environment as a list in one file and a mapping in the other")
    func environmentListAndMap() throws {
        let dir = LoaderScratch()
        dir.write(
            "a.yaml", "services:\n  app:\n    image: x\n    environment:\n      - A=1\n      - B=2\n      - BARE\n")
        dir.write("b.yaml", "services:\n  app:\n    environment:\n      B: three\n      C: 4\n      BARE: now\n")
        let app = try #require(
            try dir.load(["a.yaml", "b.yaml"], environment: ["BARE": "from-shell"]).project.services["app"])
        #expect(app.environment == ["A": "1", "B": "three", "C": "4", "BARE": "now"])

        // And the other way round.
        let reversed = try #require(
            try dir.load(["b.yaml", "a.yaml"], environment: ["BARE": "from-shell"]).project.services["app"])
        #expect(reversed.environment == ["A": "1", "B": "2", "C": "4", "BARE": "from-shell"])
    }

    @Test("three files merge in order, each over the one before")
    func threeFiles() throws {
        let dir = LoaderScratch()
        dir.write(
            "one.yaml",
            "services:\n  web:\n    image: web:1\n    ports: ['80:80']\n    environment: {LEVEL: one, ONE: '1'}\n")
        dir.write(
            "two.yaml", "services:\n  web:\n    image: web:2\n    environment: {LEVEL: two}\n  db:\n    image: db\n")
        dir.write(
            "three.yaml",
            "services:\n  web:\n    ports: ['443:443']\n    environment: {LEVEL: three}\n  db:\n    image: db:3\n")
        let loaded = try dir.load(["one.yaml", "two.yaml", "three.yaml"])
        let web = try #require(loaded.project.services["web"])
        #expect(web.image == "web:2")
        #expect(web.environment == ["LEVEL": "three", "ONE": "1"])
        #expect(web.ports.map(\.target) == [80, 443])
        #expect(loaded.project.services["db"]?.image == "db:3")
        #expect(loaded.files == ["one.yaml", "two.yaml", "three.yaml"].map { "\(dir.root)/\($0)" })
    }

    @Test("relative paths in a later -f file resolve against the project directory (the first file's)")
    func relativePathsInOverride() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  app:\n    image: x\n")
        dir.write("overrides/dev.yaml", "services:\n  app:\n    volumes: ['./src:/src']\n")
        let app = try #require(try dir.load(["compose.yaml", "overrides/dev.yaml"]).project.services["app"])
        #expect(app.volumes.first?.source == "\(dir.root)/src")
    }

    @Test("compose.override.yaml next to compose.yaml is merged when no -f is given")
    func overrideFilePickedUp() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  app:\n    image: base\n")
        dir.write("compose.override.yaml", "services:\n  app:\n    image: overridden\n  extra:\n    image: extra\n")
        let loaded = try dir.load()
        #expect(loaded.project.services["app"]?.image == "overridden")
        #expect(loaded.serviceNames == ["app", "extra"])
        #expect(loaded.files == ["\(dir.root)/compose.yaml", "\(dir.root)/compose.override.yaml"])

        // Naming a file with -f turns the automatic override off.
        let named = try dir.load(["compose.yaml"])
        #expect(named.project.services["app"]?.image == "base")
        #expect(named.serviceNames == ["app"])
    }

    @Test("docker-compose.yml is paired with docker-compose.override.yml")
    func legacyOverrideName() throws {
        let dir = LoaderScratch()
        dir.write("docker-compose.yml", "services:\n  app:\n    image: base\n")
        dir.write("docker-compose.override.yml", "services:\n  app:\n    image: overridden\n")
        dir.write("compose.override.yaml", "services:\n  app:\n    image: wrong-pair\n")
        #expect(try dir.load().project.services["app"]?.image == "overridden")
    }

    @Test("COMPOSE_FILE lists files separated by \":\"")
    func composeFileVariable() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  app:\n    image: base\n")
        dir.write("compose.override.yaml", "services:\n  app:\n    image: not-used\n")
        dir.write("extra/more.yaml", "services:\n  app:\n    environment: {MORE: '1'}\n")
        let loaded = try dir.load(environment: ["COMPOSE_FILE": "compose.yaml:extra/more.yaml"])
        #expect(loaded.project.services["app"]?.image == "base")
        #expect(loaded.project.services["app"]?.environment == ["MORE": "1"])
        #expect(loaded.files == ["\(dir.root)/compose.yaml", "\(dir.root)/extra/more.yaml"])
    }

    @Test("COMPOSE_FILE may come from .env, and COMPOSE_PATH_SEPARATOR changes the separator")
    func composeFileFromDotEnv() throws {
        let dir = LoaderScratch()
        dir.write("a.yaml", "services:\n  app:\n    image: a\n")
        dir.write("b.yaml", "services:\n  app:\n    image: b\n")
        dir.write(".env", "COMPOSE_FILE=a.yaml;b.yaml\nCOMPOSE_PATH_SEPARATOR=;\n")
        #expect(try dir.load().project.services["app"]?.image == "b")
        // -f wins over COMPOSE_FILE.
        #expect(try dir.load(["a.yaml"]).project.services["app"]?.image == "a")
    }

    @Test("-f - reads standard input, alone or among files")
    func standardInput() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  app:\n    image: base\n    volumes: ['./a:/a']\n")
        let stdin = Array("services:\n  app:\n    image: from-stdin\n  other:\n    image: o\n".utf8)
        var options = dir.options(["compose.yaml", "-"], stdin: stdin)
        var loaded = try ComposeLoader(options: options).load()
        #expect(loaded.project.services["app"]?.image == "from-stdin")
        #expect(loaded.project.services["app"]?.volumes.first?.source == "\(dir.root)/a")
        #expect(loaded.serviceNames == ["app", "other"])
        #expect(loaded.files == ["\(dir.root)/compose.yaml", "(standard input)"])

        // Alone, the project directory is the working directory.
        options = dir.options(["-"], stdin: Array("services:\n  s:\n    build: ./ctx\n".utf8))
        loaded = try ComposeLoader(options: options).load()
        #expect(loaded.project.name.rawValue == "proj")
        #expect(loaded.project.services["s"]?.build?.context == "\(dir.root)/ctx")
    }

    @Test("an error in standard input names it")
    func standardInputError() throws {
        let dir = LoaderScratch()
        let options = dir.options(["-"], stdin: Array("services:\n  s:\n    image: [x\n".utf8))
        let error = expectBerthError { _ = try ComposeLoader(options: options).load() }
        #expect(
            error?.description
                == "(standard input):4:1: did not find expected ',' or ']' (while parsing a flow sequence at line 3, column 12)"
        )
    }

    @Test("a missing -f file is named")
    func missingFile() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  app:\n    image: base\n")
        let error = dir.loadError(["compose.yaml", "nope.yaml"])
        #expect(error?.description == "\(dir.root)/nope.yaml: no such file")
    }

    @Test("an override may hold only part of a service; the merged result is validated")
    func partialServicesValidatedAfterMerge() throws {
        let dir = LoaderScratch()
        dir.write("compose.yaml", "services:\n  app:\n    image: base\n")
        dir.write("override.yaml", "services:\n  app:\n    ports: ['80:80']\n  orphan:\n    ports: ['81:80']\n")
        let error = dir.loadError(["compose.yaml", "override.yaml"])
        #expect(
            error?.description
                == "\(dir.root)/override.yaml:4:3: services.orphan: service \"orphan\" has neither an image nor a build context"
        )
    }
}
