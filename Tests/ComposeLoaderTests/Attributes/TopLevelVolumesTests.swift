import BerthModel
import ComposeLoader
import Testing

/// Top-level `volumes:` (named volumes). Service mounts are in VolumesTests.
@Suite struct TopLevelVolumesTests {
    @Test func fields() throws {
        let yaml = """
            services:
              web:
                image: nginx
                volumes:
                  - data:/data
                  - cache:/cache
                  - shared:/shared
                  - old:/old
            volumes:
              data:
              cache:
                name: my-cache
                driver: local
                driver_opts:
                  type: tmpfs
                  device: tmpfs
                  o: size=100m
                labels:
                  - com.example.tier=cache
              shared:
                external: true
              old:
                external:
                  name: legacy-volume
              unused: {}
            """
        let loaded = try loadYAML(yaml)
        #expect(
            Emitter.yaml(loaded.canonical["volumes"] ?? .null()) == """
                cache:
                  driver: local
                  driver_opts:
                    device: tmpfs
                    o: size=100m
                    type: tmpfs
                  labels:
                    com.example.tier: cache
                  name: my-cache
                data:
                  name: test_data
                old:
                  external: true
                  name: legacy-volume
                shared:
                  external: true
                  name: shared
                unused:
                  name: test_unused

                """)
        #expect(
            loaded.project.volumes == [
                "data": Volume(name: "test_data"),
                "cache": Volume(
                    name: "my-cache", driver: "local",
                    driverOptions: ["type": "tmpfs", "device": "tmpfs", "o": "size=100m"],
                    labels: ["com.example.tier": "cache"]),
                "shared": Volume(name: "shared", external: true),
                "old": Volume(name: "legacy-volume", external: true),
                "unused": Volume(name: "test_unused"),
            ])
        try expectRoundTrip(yaml)
    }

    @Test func noVolumesSectionWhenEmpty() throws {
        let loaded = try loadYAML(
            """
            services:
              web:
                image: nginx
            volumes: {}
            """)
        #expect(loaded.canonical["volumes"] == nil)
        #expect(loaded.project.volumes.isEmpty)
    }

    @Test func errors() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                volumes:
                  bad:
                    name: ../escape
                  typo:
                    drivr: local
                  wrong: [a]
                  flag:
                    external: maybe
                """) == """
                    compose.yaml:6:11: volumes.bad.name: "../escape" is not a valid name: use letters, digits, "_", "." and "-", starting with a letter or digit
                    compose.yaml:8:5: volumes.typo.drivr: unknown key "drivr"; did you mean "driver"?
                    compose.yaml:9:10: volumes.wrong: must be a mapping, not a list
                    compose.yaml:11:15: volumes.flag.external: must be true or false, not "maybe"
                    """)
    }
}
