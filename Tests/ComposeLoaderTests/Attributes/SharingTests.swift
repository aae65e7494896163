import BerthModel
import ComposeLoader
import Testing

/// `ipc`, `pid` and `volumes_from` (and `network_mode` in
/// MiscServiceFieldsTests): parsed once, into the typed service.
@Suite("ipc, pid and volumes_from")
struct SharingTests {
    @Test func namespaceModesAreTyped() throws {
        let loaded = try loadYAML(
            """
            services:
              web:
                image: nginx
                ipc: service:db
                pid: container:tools
              db:
                image: postgres
                ipc: shareable
                pid: host
              job:
                image: busybox
                ipc: none
                pid: null
            """)
        #expect(try typedService(loaded).ipc == .service("db"))
        #expect(try typedService(loaded).pid == .container("tools"))
        #expect(try typedService(loaded, "db").ipc == .shareable)
        #expect(try typedService(loaded, "db").pid == .host)
        #expect(try typedService(loaded, "job").ipc == .disabled)
        #expect(try typedService(loaded, "job").pid == nil)
    }

    @Test func volumesFromIsTyped() throws {
        let loaded = try loadYAML(
            """
            services:
              web:
                image: nginx
                volumes_from: [db, "db:ro", "service:db:rw", "container:cache", "container:cache:ro"]
              db:
                image: postgres
            """)
        #expect(
            try typedService(loaded).volumesFrom == [
                VolumesFrom(.service("db")), VolumesFrom(.service("db"), readOnly: true),
                VolumesFrom(.service("db"), readOnly: false), VolumesFrom(.container("cache")),
                VolumesFrom(.container("cache"), readOnly: true),
            ])
    }

    /// A deliberate change: such an entry used to load, order the services,
    /// and then mount nothing at all.
    @Test func aVolumesFromEntryWithAnotherModeIsRefused() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    volumes_from: ["db:z", "service:db:ro:rw", db]
                  db:
                    image: postgres
                """) == """
                    compose.yaml:4:20: services.web.volumes_from[0]: "db:z" must be SERVICE[:MODE] or container:NAME[:MODE], where MODE is ro or rw
                    compose.yaml:4:28: services.web.volumes_from[1]: "service:db:ro:rw" must be SERVICE[:MODE] or container:NAME[:MODE], where MODE is ro or rw
                    """)
    }

    @Test func aVolumesFromServiceMustExist() {
        #expect(
            loadYAMLError(
                """
                services:
                  web:
                    image: nginx
                    volumes_from: ["service:dbb:ro", "container:anything"]
                  db:
                    image: postgres
                """) == """
                    compose.yaml:4:20: services.web.volumes_from[0]: service "dbb" is not defined; did you mean "db"?
                    """)
    }
}
