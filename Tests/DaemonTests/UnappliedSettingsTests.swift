import BerthModel
import DaemonAPI
import RuntimeKit
import TestSupport
import Testing

@testable import DaemonCore

/// What a service sets and Berth does not apply comes back from `up` as a
/// warning, which the CLI prints as a `WARN:` line: nothing is dropped
/// silently.
@Suite struct UnappliedSettingsTests {
    static func warnings(_ yaml: String) async throws -> [String] {
        let runtime = FakeRuntime(images: ["busybox"])
        let (service, scratch) = try DaemonServiceTests.service(runtime)
        defer { try? scratch.remove() }
        let result = try await service.up(UpRequest(project: try DaemonServiceTests.project(yaml)), report: { _ in })
        return result.warnings
    }

    @Test func eachUnappliedSettingHasItsLine() async throws {
        let warnings = try await Self.warnings(
            """
            name: warn
            services:
              web:
                image: busybox
                cpu_count: 2
                runtime: runc
                deploy:
                  placement: {constraints: [node.role==manager]}
                volumes:
                  - {type: bind, source: /srv, target: /srv, bind: {propagation: rshared}}
                networks:
                  default: {link_local_ips: ["169.254.1.1"]}
            volumes:
              data: {}
            """)
        #expect(
            warnings == [
                "service web: cpu_count is not applied: a Windows setting",
                "service web: deploy.placement is not applied: a Swarm setting",
                "service web: networks.*.link_local_ips is not applied: link-local addresses are not added",
                "service web: runtime is not applied: containers always run under crun",
                "service web: volumes[].bind.propagation is not applied: binds are private",
            ])
    }

    @Test func aSettingOnlySomeValuesOfWhichAreUnappliedWarnsForThoseOnly() async throws {
        let warnings = try await Self.warnings(
            """
            name: warn
            services:
              web:
                image: busybox
                cgroup: private
            """)
        #expect(warnings == [])
    }

    @Test func aSecretFromAnUnsetVariableAndAnOwnerThatIsNoNumberAreNamed() async throws {
        let warnings = try await Self.warnings(
            """
            name: warn
            services:
              web:
                image: busybox
                secrets: [token]
                configs:
                  - {source: app, target: /etc/app.conf, uid: "100", gid: staff, mode: 0440}
            secrets:
              token: {environment: TOKEN}
            configs:
              app: {content: "x=1"}
            """)
        #expect(
            warnings == [
                "service web: secret token is empty: variable TOKEN is not set",
                "service web: config app gid staff is not applied: it is not a number",
            ])
    }

    @Test func exposedPortsAreListedOncePerPortUnlessPublished() {
        let published = [PublisherSummary(url: "0.0.0.0", targetPort: 80, publishedPort: 8080, protocol: "tcp")]
        let exposed = DaemonService.exposedPublishers(
            ["80/tcp", "443", "9000-9001/udp", "443/tcp"], besides: published)
        #expect(exposed.map { "\($0.targetPort)/\($0.protocol)" } == ["443/tcp", "9000/udp", "9001/udp"])
        #expect(exposed.allSatisfy { $0.url.isEmpty && $0.publishedPort == 0 })
    }
}
