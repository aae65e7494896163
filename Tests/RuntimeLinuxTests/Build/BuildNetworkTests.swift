import BerthModel
import Foundation
import HostOS
import Testing

@testable import Builder
@_spi(Components) @testable import RuntimeLinux

/// The pure rules of a `RUN`'s network: which mode, its resolv.conf, its
/// hosts lines; no root needed.
struct BuildNetworkRuleTests {
    @Test func theStepsFlagWinsAndDefaultFollowsTheBuildsSetting() throws {
        #expect(try BuildNetwork.mode(.default, setting: nil) == .bridge)
        #expect(try BuildNetwork.mode(.default, setting: "default") == .bridge)
        #expect(try BuildNetwork.mode(.default, setting: "none") == .loopback)
        #expect(try BuildNetwork.mode(.default, setting: "host") == .host)
        #expect(try BuildNetwork.mode(.none, setting: "host") == .loopback)
        #expect(try BuildNetwork.mode(.host, setting: "none") == .host)
        let error = #expect(throws: BerthError.self) { try BuildNetwork.mode(.default, setting: "backend") }
        #expect(
            error?.message
                == "build network \"backend\" is not supported: a build's RUN steps use default, none or host")
        // RUN --network=none never reads the setting.
        #expect(try BuildNetwork.mode(.none, setting: "backend") == .loopback)
    }

    @Test func resolversAreTheHostsWithoutLoopbackOnes() {
        let host = """
            # written by hand
            nameserver 127.0.0.53
            nameserver 192.0.2.10
            nameserver ::1
            nameserver 2001:db8::53
            nameserver 192.0.2.11
            search corp.example
            options ndots:2 edns0
            """
        let dns = BuildNetwork.bridgeDNS(hostResolvConf: host)
        #expect(dns.servers == ["192.0.2.10", "192.0.2.11"])
        #expect(dns.search == ["corp.example"])
        #expect(dns.options == ["ndots:2", "edns0"])
    }

    @Test func onlyLoopbackResolversGiveGooglesAsDockerDoes() {
        for host in ["nameserver 127.0.0.53\noptions edns0 trust-ad\n", "nameserver ::1\n", ""] {
            #expect(BuildNetwork.bridgeDNS(hostResolvConf: host).servers == ["8.8.8.8", "8.8.4.4"], "\(host)")
        }
    }

    @Test func hostsHoldTheStepsAddressAndTheExtraHosts() throws {
        let hosts = try BuildNetwork.hosts(
            ["db=192.0.2.7", "cache:192.0.2.8", "gw=host-gateway"], address: "10.9.0.2", gateway: "10.9.0.1")
        #expect(
            hosts == [
                .init(address: "10.9.0.2", names: ["buildkitsandbox"]), .init(address: "192.0.2.7", names: ["db"]),
                .init(address: "192.0.2.8", names: ["cache"]), .init(address: "10.9.0.1", names: ["gw"]),
            ])
        #expect(
            try BuildNetwork.hosts(["gw=host-gateway"], address: nil, gateway: nil) == [
                .init(address: "127.0.0.1", names: ["gw"])
            ])
        let error = #expect(throws: BerthError.self) { try BuildNetwork.hosts(["nohost"], address: nil, gateway: nil) }
        #expect(error?.message == "build.extra_hosts: extra host \"nohost\" must be HOST=IP")
    }
}

extension HostResourceTests.LinuxRuntimeTests {
    /// `RUN` steps through the Linux build backend with compose's
    /// `build.network` and `build.extra_hosts` set, as `berth build` does
    /// not pass them yet: what the step's own files say about its network.
    @Suite struct BuildNetworkTests {
        /// A `RUN /bin/sh -c script` over busybox with the build's settings.
        static func step(_ script: String, network: RunNetwork = .default, settings: RunSettings) -> RunStep {
            RunStep(
                arguments: ["/bin/sh", "-c", script], environment: [:], proxyEnvironment: [:], workingDirectory: "/",
                user: nil, network: network, mounts: [], inlineFiles: [], settings: settings)
        }

        /// Runs the step; the content of `file` in the layer it made.
        static func run(_ step: RunStep, _ backend: LinuxBuildBackend, reading file: String) async throws -> String {
            let base = try await backend.resolve("busybox:latest")
            let layer = try await backend.run(
                RunRequest(step: step, layers: base.layers, mounts: [], secrets: [:]), output: { _ in })
            return try String(contentsOfFile: try backend.directories([layer])[0] + "/" + file, encoding: .utf8)
        }

        @Test func theBuildsSettingsChooseTheNetworkAndTheHosts() async throws {
            try await RuntimeFixture.with { f in
                let backend = try f.runtime.buildBackend()
                let script = "ls /sys/class/net > /links; cat /etc/hosts > /hosts"
                let extra = ["db=192.0.2.7", "gw=host-gateway"]
                let onBridge = try await Self.run(
                    Self.step(
                        script, settings: RunSettings(network: nil, extraHosts: extra, shmSize: nil, ulimits: [])),
                    backend, reading: "hosts")
                let name = try #require(BuildNetwork.name)
                let bridge = try #require(await f.runtime.bridges.network(name))
                #expect(
                    onBridge.contains("192.0.2.7\tdb\n") && onBridge.contains("\(bridge.gateway)\tgw\n"), "\(onBridge)")
                #expect(onBridge.contains("\tbuildkitsandbox\n"), "\(onBridge)")
                #expect(bridge.endpoints.isEmpty, "the step left its endpoint: \(bridge.endpoints)")

                let none = RunSettings(network: "none", extraHosts: [], shmSize: nil, ulimits: [])
                let links = try await Self.run(Self.step(script, settings: none), backend, reading: "links")
                #expect(links == "lo\n")

                let unknown = RunSettings(network: "backend", extraHosts: [], shmSize: nil, ulimits: [])
                let error = await #expect(throws: BerthError.self) {
                    try await Self.run(Self.step(script, settings: unknown), backend, reading: "links")
                }
                #expect(error?.message.contains("build network \"backend\"") == true, "\(String(describing: error))")
                let namespaces = try FileManager.default.contentsOfDirectory(atPath: backend.directory + "/netns")
                #expect(namespaces.isEmpty, "namespaces left: \(namespaces)")
            }
        }

        @Test func aStepACrashLeftOnTheNetworkIsTakenOffByTheNext() async throws {
            try await RuntimeFixture.with { f in
                let settings = RunSettings(network: nil, extraHosts: [], shmSize: nil, ulimits: [])
                let first = try f.runtime.buildBackend()
                _ = try await Self.run(Self.step("echo x > /x", settings: settings), first, reading: "x")
                // As a berthd killed during a RUN leaves it: the step's
                // namespace mounted and its endpoint recorded.
                let name = try #require(BuildNetwork.name)
                let directory = first.directory + "/netns"
                let path = try NetworkNamespace.create(
                    try #require(NetworkNamespace.Name("berth-build-crashed")), in: directory
                ).path
                try await f.runtime.bridges.attach(
                    name, container: "berth-build-crashed", netnsPath: path, defaultRoute: true)
                // The next berthd's backend, then its first RUN.
                let next = try f.runtime.buildBackend()
                #expect(!FileManager.default.fileExists(atPath: path), "the stray namespace is still there")
                _ = try await Self.run(Self.step("echo y > /y", settings: settings), next, reading: "y")
                let network = try #require(await f.runtime.bridges.network(name))
                #expect(network.endpoints.isEmpty, "\(network.endpoints)")
            }
        }
    }
}
