import BerthModel
import Foundation
import HostOS
import RuntimeKit
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

extension HostResourceTests.LinuxRuntimeTests {
    /// A second `LinuxRuntime` over the same root, as a restarted berthd.
    @Suite(.timeLimit(.minutes(3))) struct RuntimeRestoreTests {
        @Test func newRuntimeSeesTheContainersAndPublishesTheirPortsAgain() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(
                    NetworkSpec(name: f.resource("net"), labels: ["x": "y"]))
                var web = f.spec("web", RuntimeFixture.httpd("still-here"), networks: [network.name])
                web.ports = [PortSpec(hostIP: "127.0.0.1", containerPort: 80)]
                web.networks[0].aliases = ["web"]
                let before = try await f.run(web)
                let done = f.spec("done", ["sh", "-c", "exit 5"], networks: [network.name])
                try await f.run(done)
                #expect(try await f.runtime.waitContainer(done.name) == 5)
                let port = try #require(before.ports.first?.hostPort)

                let runtime = try await f.reopen()
                let problems = await runtime.restoreProblems
                #expect(problems.isEmpty, "\(problems)")
                let listed = try await runtime.containers(matching: LabelFilter(["test.prefix": f.prefix]))
                #expect(listed.map(\.name) == [done.name, web.name])
                #expect(listed.first { $0.name == done.name }?.state == .exited(code: 5))
                let after = try #require(listed.first { $0.name == web.name })
                #expect(after.state == before.state && after.ports == before.ports)
                #expect(after.addresses == before.addresses && after.aliases == ["\(network.name)": ["web"]])
                #expect(try await runtime.networks(matching: LabelFilter(["x": "y"])).map(\.name) == [network.name])
                try await f.waitForHTTPD(web.name)
                #expect(
                    try await sh("curl", "--silent", "--max-time", "10", "http://127.0.0.1:\(port)/") == "still-here\n")

                // Exit watching is back: the restored runtime reports the die.
                let events = await runtime.events()
                try await runtime.stopContainer(web.name, signal: "TERM", grace: 10_000_000_000)
                let seen = try await collect(events, within: .seconds(20)) { $0.kind == .stop }
                #expect(seen.map(\.kind) == [.kill, .die, .stop] && seen[1].exitCode == 0)
                // And an exited container of the old runtime starts again.
                try await runtime.startContainer(done.name)
                #expect(try await runtime.waitContainer(done.name) == 5)
            }
        }

        @Test func afterARebootTheNamespaceIsRemadeWithTheSameAddress() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("net")))
                let spec = f.spec("boot", ["sh", "-c", "ip -o -4 addr show eth0; ip route"], networks: [network.name])
                let info = try await f.run(spec)
                let address = try #require(info.addresses[network.name])
                #expect(try await f.runtime.waitContainer(spec.name) == 0)
                await f.runtime.shutdown()
                // What a reboot takes: the namespace mount (and with it the
                // veth pair) and the rootfs mount. Files on disk stay.
                let netns = f.root + "/netns/" + spec.name
                try Mounts.unmount(netns, detach: true)
                try OverlayRootfs.unmount(
                    paths: ContainerPaths(root: f.root, id: try SpecTranslation.containerID(spec.name)))
                #expect(!OverlayRootfs.isMountPoint(netns))

                let runtime = try await f.reopen()
                let problems = await runtime.restoreProblems
                #expect(problems.isEmpty, "\(problems)")
                #expect(OverlayRootfs.isMountPoint(netns))
                try await runtime.startContainer(spec.name)
                #expect(try await runtime.waitContainer(spec.name) == 0)
                let lines = try await logLines(f, spec.name)
                #expect(lines.filter { $0.contains(" \(address)/") }.count == 2, "\(lines)")
                #expect(lines.filter { $0.hasPrefix("default via \(network.gateway)") }.count == 2, "\(lines)")
            }
        }

        @Test func createCutShortByACrashIsUndone() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("net")))
                var spec = f.spec("half", ["sleep", "1000"], networks: [network.name])
                spec.mounts = [.anonymous(target: "/data")]
                spec.ports = [PortSpec(hostIP: "127.0.0.1", containerPort: 80)]
                _ = try await f.runtime.createContainer(spec)
                // As if berthd died before the create was recorded as done.
                let store = try ContainerRecordStore(directory: f.root + "/runtime/containers")
                var record = try #require(store.loadAll().records.first)
                record.phase = .creating
                try store.save(record)

                let runtime = try await f.reopen()
                let problems = await runtime.restoreProblems
                #expect(problems.isEmpty, "\(problems)")
                #expect(try await runtime.containers(matching: LabelFilter()).isEmpty)
                #expect(try await runtime.volumes(matching: LabelFilter()).isEmpty)
                #expect(await runtime.bridges.list().allSatisfy { $0.endpoints.isEmpty })
                #expect(!FileManager.default.fileExists(atPath: f.root + "/netns/" + spec.name))
                #expect(!FileManager.default.fileExists(atPath: f.root + "/containers/" + spec.name))
                #expect(store.loadAll().records.isEmpty)
            }
        }
    }
}
