import BerthModel
import ComposeLoader
import Testing

@Suite struct HealthcheckTests {
    @Test func stringTestRunsInAShell() throws {
        let yaml = """
            services:
              web:
                image: nginx
                healthcheck:
                  test: curl -f http://localhost || exit 1
                  interval: 1m30s
                  timeout: 500ms
                  start_period: 90s
                  start_interval: 5s
                  retries: 3
            """
        #expect(
            try fieldYAML(yaml, "healthcheck") == """
                interval: 1m30s
                retries: 3
                start_interval: 5s
                start_period: 1m30s
                test:
                  - CMD-SHELL
                  - curl -f http://localhost || exit 1
                timeout: 500ms

                """)
        let health = try #require(try typedService(try loadYAML(yaml)).healthcheck)
        #expect(
            health
                == Healthcheck(
                    test: ["CMD-SHELL", "curl -f http://localhost || exit 1"], interval: 90_000_000_000,
                    timeout: 500_000_000,
                    retries: 3, startPeriod: 90_000_000_000, startInterval: 5_000_000_000))
        #expect(!health.isDisabled)
    }

    @Test func cmdList() throws {
        let yaml = """
            services:
              web:
                image: nginx
                healthcheck:
                  test: ["CMD", "pg_isready", "-U", "postgres"]
            """
        #expect(
            try fieldYAML(yaml, "healthcheck") == """
                test:
                  - CMD
                  - pg_isready
                  - -U
                  - postgres

                """)
        #expect(try typedService(try loadYAML(yaml)).healthcheck?.test == ["CMD", "pg_isready", "-U", "postgres"])
    }

    @Test func cmdShellList() throws {
        let yaml = """
            services:
              web:
                image: nginx
                healthcheck:
                  test: [CMD-SHELL, "wget -q -O- localhost"]
            """
        #expect(try typedService(try loadYAML(yaml)).healthcheck?.test == ["CMD-SHELL", "wget -q -O- localhost"])
    }

    @Test func noneDisables() throws {
        let yaml = """
            services:
              web:
                image: nginx
                healthcheck:
                  test: ["NONE"]
              api:
                image: nginx
                healthcheck:
                  test: NONE
            """
        let loaded = try loadYAML(yaml)
        #expect(try typedService(loaded, "web").healthcheck?.test == ["NONE"])
        #expect(try typedService(loaded, "web").healthcheck?.isDisabled == true)
        #expect(try typedService(loaded, "api").healthcheck?.test == ["NONE"])
        #expect(try typedService(loaded, "api").healthcheck?.isDisabled == true)
    }

    @Test func disable() throws {
        let yaml = """
            services:
              web:
                image: nginx
                healthcheck:
                  disable: true
            """
        #expect(
            try fieldYAML(yaml, "healthcheck") == """
                disable: true

                """)
        let health = try #require(try typedService(try loadYAML(yaml)).healthcheck)
        #expect(health.disable)
        #expect(health.isDisabled)
        #expect(health.test == nil)
    }

    @Test func durationsPrintInGoForm() throws {
        let yaml = """
            services:
              web:
                image: nginx
                healthcheck:
                  interval: 3600s
                  timeout: 1.5s
                  start_period: 0
                  start_interval: 2h45m
            """
        #expect(
            try fieldYAML(yaml, "healthcheck") == """
                interval: 1h0m0s
                start_interval: 2h45m0s
                start_period: 0s
                timeout: 1.5s

                """)
        try expectRoundTrip(yaml)
    }

    @Test func badDuration() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    healthcheck:
                      interval: 10
                      timeout: 5 seconds
                """) == """
                    compose.yaml:5:17: services.web.healthcheck.interval: "10" is not a duration (write it like 10s, 1m30s or 500ms)
                    compose.yaml:6:16: services.web.healthcheck.timeout: "5 seconds" is not a duration (write it like 10s, 1m30s or 500ms)
                    """)
    }

    @Test func testListMustStartWithAKind() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    healthcheck:
                      test: [FOO]
                """) == """
                    compose.yaml:5:14: services.web.healthcheck.test[0]: a healthcheck test list must begin with CMD, CMD-SHELL or NONE, not "FOO"
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    healthcheck:
                      test: [CMD]
                """) == """
                    compose.yaml:5:13: services.web.healthcheck.test: CMD needs a command after it
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    healthcheck:
                      test: []
                """) == """
                    compose.yaml:5:13: services.web.healthcheck.test: a healthcheck test list must not be empty
                    """)
    }

    @Test func otherErrors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    healthcheck:
                      retries: -1
                      disable: maybe
                      intervall: 5s
                """) == """
                    compose.yaml:7:7: services.web.healthcheck.intervall: unknown key "intervall"; did you mean "interval"?
                    compose.yaml:5:16: services.web.healthcheck.retries: -1 is out of range (0-2147483647)
                    compose.yaml:6:16: services.web.healthcheck.disable: must be true or false, not "maybe"
                    """)
    }
}
