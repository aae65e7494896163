import BerthModel
import ComposeLoader
import Testing

/// `command` and `entrypoint`.
@Suite struct CommandTests {
    @Test func stringIsSplitLikeAShell() throws {
        let yaml = #"""
            services:
              web:
                image: nginx
                command: echo "hello world" 'single quoted' a\ b "esc \" $$HOME \n"
                entrypoint: /bin/sh -c
            """#
        #expect(
            try fieldYAML(yaml, "command") == #"""
                - echo
                - hello world
                - single quoted
                - a b
                - esc " $HOME \n

                """#)
        let web = try typedService(try loadYAML(yaml))
        #expect(web.command == ["echo", "hello world", "single quoted", "a b", #"esc " $HOME \n"#])
        #expect(web.entrypoint == ["/bin/sh", "-c"])
    }

    @Test func listIsKept() throws {
        let yaml = """
            services:
              web:
                image: nginx
                command: ["bundle", "exec", "thin", "-p", 3000, true]
                entrypoint:
                  - /docker-entrypoint.sh
                  - "--flag=a b"
            """
        #expect(
            try fieldYAML(yaml, "command") == """
                - bundle
                - exec
                - thin
                - -p
                - "3000"
                - "true"

                """)
        let web = try typedService(try loadYAML(yaml))
        #expect(web.command == ["bundle", "exec", "thin", "-p", "3000", "true"])
        #expect(web.entrypoint == ["/docker-entrypoint.sh", "--flag=a b"])
        try expectRoundTrip(yaml)
    }

    @Test func nullAndEmpty() throws {
        let yaml = """
            services:
              web:
                image: nginx
                command: null
                entrypoint: []
              api:
                image: nginx
                command: ""
            """
        let loaded = try loadYAML(yaml)
        #expect(Emitter.yaml(loaded.canonical["services"]?["web"]?["command"] ?? .string("missing")) == "null\n")
        #expect(Emitter.yaml(loaded.canonical["services"]?["web"]?["entrypoint"] ?? .string("missing")) == "[]\n")
        let web = try typedService(loaded)
        #expect(web.command == nil)
        #expect(web.entrypoint == [])
        #expect(try typedService(loaded, "api").command == [])
    }

    @Test func absentIsNil() throws {
        let web = try typedService(
            try loadYAML(
                """
                services:
                  web:
                    image: nginx
                """))
        #expect(web.command == nil)
        #expect(web.entrypoint == nil)
    }

    @Test func unterminatedQuote() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    command: echo "oops
                """) == """
                    compose.yaml:4:14: services.web.command: unterminated quote in "echo \\"oops"
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    entrypoint: "sh -c 'exit 1"
                """) == """
                    compose.yaml:4:17: services.web.entrypoint: unterminated quote in "sh -c 'exit 1"
                    """)
    }

    @Test func wrongType() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    command:
                      run: x
                    entrypoint: [[a]]
                """) == """
                    compose.yaml:5:7: services.web.command: must be a string or a list of strings, not a mapping
                    compose.yaml:6:18: services.web.entrypoint[0]: must be a string, not a list
                    """)
    }
}
