import BerthModel
import ComposeLoader
import Testing

@Suite struct RestartTests {
    @Test(arguments: [
        ("no", RestartPolicy.no),
        ("always", .always),
        ("on-failure", .onFailure(maxRetries: nil)),
        ("on-failure:3", .onFailure(maxRetries: 3)),
        ("unless-stopped", .unlessStopped),
    ])
    func policies(text: String, policy: RestartPolicy) throws {
        let yaml = """
            services:
              web:
                image: nginx
                restart: "\(text)"
            """
        #expect(try fieldYAML(yaml, "restart") == "\(text == "no" ? "\"no\"" : text)\n")
        #expect(try typedService(try loadYAML(yaml)).restart == policy)
    }

    @Test func unquotedNoIsTheStringNo() throws {
        // YAML 1.2 reads a plain `no` as a string, not false, as compose-go does.
        let yaml = """
            services:
              web:
                image: nginx
                restart: no
            """
        #expect(try typedService(try loadYAML(yaml)).restart == .no)
        try expectRoundTrip(yaml)
    }

    @Test func defaultIsNo() throws {
        let yaml = """
            services:
              web:
                image: nginx
            """
        #expect(try typedService(try loadYAML(yaml)).restart == .no)
    }

    @Test func unknownPolicy() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    restart: sometimes
                """) == """
                    compose.yaml:4:14: services.web.restart: unknown restart policy "sometimes" (no, always, on-failure[:N] or unless-stopped)
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    restart: on-failure:-1
                """) == """
                    compose.yaml:4:14: services.web.restart: unknown restart policy "on-failure:-1" (no, always, on-failure[:N] or unless-stopped)
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    restart: false
                """) == """
                    compose.yaml:4:14: services.web.restart: unknown restart policy "false" (no, always, on-failure[:N] or unless-stopped)
                    """)
    }

    @Test func deployRestartPolicy() throws {
        let yaml = """
            services:
              web:
                image: nginx
                deploy:
                  restart_policy:
                    condition: on-failure
                    delay: 5s
                    max_attempts: 3
                    window: 120s
            """
        #expect(
            try fieldYAML(yaml, "deploy") == """
                restart_policy:
                  condition: on-failure
                  delay: 5s
                  max_attempts: 3
                  window: 2m0s

                """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    deploy:
                      restart_policy:
                        condition: sometimes
                """) == """
                    compose.yaml:6:20: services.web.deploy.restart_policy.condition: unknown condition "sometimes" (none, on-failure or any)
                    """)
    }
}
