import BerthModel
import ComposeLoader
import Testing

/// `environment`, `env_file` and `labels`.
@Suite struct EnvironmentTests {
    @Test func listForm() throws {
        let yaml = """
            services:
              web:
                image: nginx
                environment:
                  - A=1
                  - B=x=y
                  - EMPTY=
                  - FROM_SHELL
                  - UNSET
            """
        let environment = ["HOME": "/home/tester", "FROM_SHELL": "shell value"]
        #expect(
            try fieldYAML(yaml, "environment", environment: environment) == """
                A: "1"
                B: x=y
                EMPTY: ""
                FROM_SHELL: shell value
                UNSET: null

                """)
        let web = try typedService(try loadYAML(yaml, environment: environment))
        let expected: [String: String?] = [
            "A": "1", "B": "x=y", "EMPTY": "", "FROM_SHELL": "shell value", "UNSET": nil,
        ]
        #expect(web.environment == expected)
    }

    @Test func mapFormKeepsScalarsAsWritten() throws {
        let yaml = """
            services:
              web:
                image: nginx
                environment:
                  VERSION: 1.0
                  COUNT: 010
                  DEBUG: true
                  NAME: web
                  QUOTED: "yes"
                  FROM_SHELL:
                  UNSET: ~
            """
        let environment = ["HOME": "/home/tester", "FROM_SHELL": "42"]
        #expect(
            try fieldYAML(yaml, "environment", environment: environment) == """
                COUNT: "010"
                DEBUG: "true"
                FROM_SHELL: "42"
                NAME: web
                QUOTED: "yes"
                UNSET: null
                VERSION: "1.0"

                """)
        let web = try typedService(try loadYAML(yaml, environment: environment))
        let expected: [String: String?] = [
            "VERSION": "1.0", "COUNT": "010", "DEBUG": "true", "NAME": "web", "QUOTED": "yes", "FROM_SHELL": "42",
            "UNSET": nil,
        ]
        #expect(web.environment == expected)
        try expectRoundTrip(yaml, environment: environment)
    }

    @Test func laterListEntryWins() throws {
        let yaml = """
            services:
              web:
                image: nginx
                environment:
                  - A=1
                  - A=2
            """
        #expect(try typedService(try loadYAML(yaml)).environment == ["A": "2"])
    }

    @Test func envFileShortAndLong() throws {
        let sandbox = YAMLSandbox()
        sandbox.write("web.env", "FROM_FILE=file\nSHARED=file\n# comment\nQUOTED=\"a b\"\n")
        sandbox.write("extra.env", "EXTRA=extra\nSHARED=extra\n")
        let yaml = """
            services:
              web:
                image: nginx
                env_file:
                  - web.env
                  - path: ./extra.env
                    required: true
                  - path: ./missing.env
                    required: false
                environment:
                  SHARED: explicit
            """
        let loaded = try sandbox.load(yaml)
        #expect(
            Emitter.yaml(loaded.canonical["services"]?["web"]?["env_file"] ?? .null()) == """
                - path: \(sandbox.directory)/web.env
                  required: true
                - path: \(sandbox.directory)/extra.env
                  required: true
                - path: \(sandbox.directory)/missing.env
                  required: false

                """)
        #expect(
            Emitter.yaml(loaded.canonical["services"]?["web"]?["environment"] ?? .null()) == """
                EXTRA: extra
                FROM_FILE: file
                QUOTED: a b
                SHARED: explicit

                """)
        #expect(
            try typedService(loaded).environment == [
                "FROM_FILE": "file", "EXTRA": "extra", "QUOTED": "a b", "SHARED": "explicit",
            ])
    }

    @Test func envFileAsString() throws {
        let sandbox = YAMLSandbox()
        sandbox.write("app.env", "A=1\n")
        let loaded = try sandbox.load(
            """
            services:
              web:
                image: nginx
                env_file: app.env
            """)
        #expect(try typedService(loaded).environment == ["A": "1"])
    }

    @Test func laterEnvFileWins() throws {
        let sandbox = YAMLSandbox()
        sandbox.write("a.env", "X=a\n")
        sandbox.write("b.env", "X=b\n")
        let loaded = try sandbox.load(
            """
            services:
              web:
                image: nginx
                env_file: [a.env, b.env]
            """)
        #expect(try typedService(loaded).environment == ["X": "b"])
    }

    @Test func requiredEnvFileMissing() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    env_file:
                      - path: ./missing.env
                """) == """
                    compose.yaml:5:9: services.web.env_file[0]: env file missing.env not found
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    env_file: nothere.env
                """) == """
                    compose.yaml:4:15: services.web.env_file[0]: env file nothere.env not found
                    """)
    }

    @Test func environmentErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    environment:
                      - =value
                      - [nested]
                """) == """
                    compose.yaml:5:9: services.web.environment[0]: "=value" has no name before "="
                    compose.yaml:6:9: services.web.environment[1]: must be a string, not a list
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    environment:
                      A:
                        nested: map
                """) == """
                    compose.yaml:6:9: services.web.environment.A: must be a string, number or boolean, not a mapping
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    environment: A=1
                """) == """
                    compose.yaml:4:18: services.web.environment: must be a mapping or a list of KEY=VALUE strings, not a string
                    """)
    }

    // MARK: - labels

    @Test func labelsListAndMap() throws {
        let list = """
            services:
              web:
                image: nginx
                labels:
                  - com.example.tier=front
                  - com.example.count=3
                  - com.example.flag
            """
        let environment = ["HOME": "/home/tester", "com.example.flag": "not used"]
        #expect(
            try fieldYAML(list, "labels", environment: environment) == """
                com.example.count: "3"
                com.example.flag: ""
                com.example.tier: front

                """)
        #expect(
            try typedService(try loadYAML(list, environment: environment)).labels == [
                "com.example.tier": "front", "com.example.count": "3", "com.example.flag": "",
            ])
        let map = """
            services:
              web:
                image: nginx
                labels:
                  com.example.tier: front
                  com.example.version: 1.10
                  com.example.on: false
                  com.example.empty:
            """
        #expect(
            try fieldYAML(map, "labels") == """
                com.example.empty: ""
                com.example.on: "false"
                com.example.tier: front
                com.example.version: "1.10"

                """)
        #expect(
            try typedService(try loadYAML(map)).labels == [
                "com.example.tier": "front", "com.example.version": "1.10", "com.example.on": "false",
                "com.example.empty": "",
            ])
    }
}
