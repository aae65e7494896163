import BerthModel
import ComposeLoader
import Testing

@Suite struct DependsOnTests {
    @Test func shortForm() throws {
        let yaml = """
            services:
              web:
                image: nginx
                depends_on: [db, cache]
              db:
                image: postgres
              cache:
                image: redis
            """
        #expect(
            try fieldYAML(yaml, "depends_on") == """
                cache:
                  condition: service_started
                  required: true
                db:
                  condition: service_started
                  required: true

                """)
        let loaded = try loadYAML(yaml)
        #expect(try typedService(loaded).dependsOn == ["db": Dependency(), "cache": Dependency()])
        #expect(loaded.project.graph.startLevels == [["cache", "db"], ["web"]])
    }

    @Test func longForm() throws {
        let yaml = """
            services:
              web:
                image: nginx
                depends_on:
                  db:
                    condition: service_healthy
                    restart: true
                  migrate:
                    condition: service_completed_successfully
                  cache:
              db:
                image: postgres
              migrate:
                image: app
              cache:
                image: redis
            """
        #expect(
            try fieldYAML(yaml, "depends_on") == """
                cache:
                  condition: service_started
                  required: true
                db:
                  condition: service_healthy
                  required: true
                  restart: true
                migrate:
                  condition: service_completed_successfully
                  required: true

                """)
        #expect(
            try typedService(try loadYAML(yaml)).dependsOn == [
                "db": Dependency(condition: .healthy, restart: true),
                "migrate": Dependency(condition: .completedSuccessfully),
                "cache": Dependency(),
            ])
        try expectRoundTrip(yaml)
    }

    @Test func optionalMissingDependencyIsDropped() throws {
        let yaml = """
            services:
              web:
                image: nginx
                depends_on:
                  metrics:
                    condition: service_started
                    required: false
            """
        #expect(try typedService(try loadYAML(yaml)).dependsOn.isEmpty)
    }

    @Test func undefinedService() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    depends_on: [dbb]
                  db:
                    image: postgres
                """) == """
                    compose.yaml:4:18: services.web.depends_on.dbb: service "dbb" is not defined; did you mean "db"?
                    """)
    }

    @Test func badEntries() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    depends_on:
                      db:
                        condition: service_ready
                        requird: false
                  db:
                    image: postgres
                """) == """
                    compose.yaml:7:9: services.web.depends_on.db.requird: unknown key "requird"; did you mean "required"?
                    compose.yaml:6:20: services.web.depends_on.db.condition: unknown condition "service_ready" (service_started, service_healthy, service_completed_successfully)
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    depends_on: [db, db]
                  db:
                    image: postgres
                """) == """
                    compose.yaml:4:22: services.web.depends_on[1]: service "db" is listed twice
                    """)
    }

    @Test func cycle() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    depends_on: [api]
                  api:
                    image: app
                    depends_on: [web]
                """) == """
                    compose.yaml:7:18: dependency cycle: api -> web -> api (api -> web: depends_on at compose.yaml:7:18; web -> api: depends_on at compose.yaml:4:18)
                    """)
    }
}
