import BerthModel
import ComposeLoader
import Testing

/// Misspelt keys are refused with a suggestion; `x-` extensions pass anywhere.
@Suite struct UnknownKeysTests {
    @Test func topLevelTypo() {
        #expect(
            loadYAMLError(
                """
                servics:
                  web:
                    image: nginx
                """) == """
                    compose.yaml:1:1: servics: unknown key "servics"; did you mean "services"?
                    """)
    }

    @Test func serviceTypo() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    imagee: nginx
                    portz: ["80"]
                    frobnicate: true
                """) == """
                    compose.yaml:3:5: services.web.imagee: unknown key "imagee"; did you mean "image"?
                    compose.yaml:4:5: services.web.portz: unknown key "portz"; did you mean "ports"?
                    compose.yaml:5:5: services.web.frobnicate: unknown key "frobnicate"
                    """)
    }

    @Test func extensionsAreAllowed() throws {
        let yaml = """
            x-common: &common
              image: nginx
            x-anything:
              deeply: [nested, 1]
            services:
              x-not-a-service:
                whatever: true
              web:
                <<: *common
                x-owner: team-a
                x-berth:
                  restart_on_unhealthy: false
                healthcheck:
                  test: [CMD, "true"]
                  x-note: kept out
            networks:
              x-ignored: {}
            """
        let loaded = try loadYAML(yaml)
        #expect(loaded.project.serviceNames == ["web"])
        #expect(
            try serviceYAML(yaml) == """
                healthcheck:
                  test:
                    - CMD
                    - "true"
                image: nginx
                networks:
                  default: null
                x-berth:
                  restart_on_unhealthy: false
                x-owner: team-a

                """)
        #expect(
            Emitter.yaml(loaded.canonical["x-anything"] ?? .null()) == """
                deeply:
                  - nested
                  - 1

                """)
        #expect(try typedService(loaded).restartOnUnhealthy == false)
        #expect(loaded.project.networks.keys.sorted() == ["default"])
    }

    @Test func extensionsDoNotChangeTheConfigHash() throws {
        let plain = try typedService(
            try loadYAML(
                """
                services:
                  web:
                    image: nginx
                """))
        let extended = try typedService(
            try loadYAML(
                """
                services:
                  web:
                    image: nginx
                    x-note: hello
                """))
        #expect(plain.configHash == extended.configHash)
    }
}
