import BerthModel
import Foundation
import HostOS
import RuntimeKit
import Testing

@testable import RuntimeLinux

extension HostResourceTests.LinuxRuntimeTests {
    /// Containers on bridge networks through `LinuxRuntime`, checked with
    /// busybox's own clients inside them.
    @Suite struct RuntimeNetworkTests {
        @Test func twoContainersOnOneNetworkReachEachOther() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(
                    NetworkSpec(name: f.resource("front"), labels: ["a": "b"]))
                #expect(network.labels == ["a": "b"])
                var webSpec = f.spec("web", RuntimeFixture.httpd("hello-web"), networks: [network.name])
                webSpec.networks[0].aliases = ["web", "www"]
                let web = try await f.run(webSpec)
                let client = try await f.run(f.spec("client", ["sleep", "1000"], networks: [network.name]))
                let address = try #require(web.addresses[network.name])
                #expect(web.aliases[network.name] == ["web", "www"])
                #expect(client.addresses[network.name] != address)
                try await f.waitForHTTPD(web.name)
                #expect(try await f.fetch(from: client.name, address) == "hello-web\n")

                // The default route and the resolver both go to the gateway.
                let route = try await f.exec(client.name, ["ip", "route"]).stdout
                #expect(route.contains("default via \(network.gateway) dev eth0"), "\(route)")
                let resolv = try await f.exec(client.name, ["cat", "/etc/resolv.conf"]).stdout
                #expect(resolv == "nameserver \(network.gateway)\n")
                let hosts = try await f.exec(web.name, ["cat", "/etc/hosts"]).stdout
                #expect(hosts.contains("\(address)\t\(web.name)"), "\(hosts)")
            }
        }

        @Test func containersOnDifferentNetworksCannotConnect() async throws {
            try await RuntimeFixture.with { f in
                let a = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("a")))
                let b = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("b")))
                let web = try await f.run(f.spec("web", RuntimeFixture.httpd("on-a"), networks: [a.name]))
                let outsider = try await f.run(f.spec("outsider", ["sleep", "1000"], networks: [b.name]))
                let both = try await f.run(f.spec("both", ["sleep", "1000"], networks: [b.name, a.name]))
                let address = try #require(web.addresses[a.name])
                try await f.waitForHTTPD(web.name)
                // On both networks: eth1 on a reaches it, so the server is up...
                #expect(try await f.fetch(from: both.name, address) == "on-a\n")
                let interfaces = try await f.exec(both.name, ["ip", "-o", "-4", "addr"]).stdout
                #expect(interfaces.contains("eth0") && interfaces.contains("eth1"), "\(interfaces)")
                // ...and from b alone neither wget nor nc gets through.
                #expect(try await f.fetch(from: outsider.name, address) == nil)
                let nc = try await f.exec(outsider.name, ["timeout", "5", "nc", "-w", "2", address, "80"])
                #expect(nc.exitCode != 0, "nc connected across networks: \(nc)")
            }
        }

        @Test func staticAddressAndInternalNetwork() async throws {
            try await RuntimeFixture.with { f in
                let subnet = try #require(
                    IPv4CIDR(address: IPv4(f.block.address.value + 2 << 8), prefixLength: 24))
                let wanted = IPv4(subnet.address.value + 50).description
                let network = try await f.runtime.createNetwork(
                    NetworkSpec(name: f.resource("inside"), subnet: subnet.description, internal: true))
                #expect(network.subnet == subnet.description && network.internal)
                var spec = f.spec("fixed", ["sleep", "1000"], networks: [network.name])
                spec.networks[0].ipv4Address = wanted
                let info = try await f.run(spec)
                #expect(info.addresses[network.name] == wanted)
                // Internal: no default route, but the gateway (where the DNS answers) is there.
                let route = try await f.exec(info.name, ["ip", "route"]).stdout
                #expect(!route.contains("default"), "\(route)")
            }
        }

        @Test func networkInUseIsNotRemoved() async throws {
            try await RuntimeFixture.with { f in
                let network = try await f.runtime.createNetwork(NetworkSpec(name: f.resource("busy")))
                _ = try await f.runtime.createContainer(f.spec("user", ["true"], networks: [network.name]))
                let error = await #expect(throws: BerthError.self) { try await f.runtime.removeNetwork(network.name) }
                #expect(error?.message.contains(f.name("user")) == true, "\(String(describing: error))")
                try await f.runtime.removeContainer(f.name("user"), force: false)
                try await f.runtime.removeNetwork(network.name)
                #expect(try await f.runtime.networks(matching: LabelFilter()).isEmpty)
            }
        }

        @Test func noneAndHostModes() async throws {
            try await RuntimeFixture.with { f in
                var none = f.spec("none", ["sleep", "1000"])
                none.networkMode = .none
                let isolated = try await f.run(none)
                #expect(isolated.addresses.isEmpty)
                let links = try await f.exec(isolated.name, ["ip", "-o", "link"]).stdout
                #expect(links.split(separator: "\n").count == 1 && links.contains("lo"), "\(links)")
                var host = f.spec("host", ["sleep", "1000"])
                host.networkMode = .host
                host.ports = [PortSpec(containerPort: 80)]
                let onHost = try await f.run(host)
                #expect(onHost.ports.isEmpty, "ports of a host-network container are dropped, as docker does")
                let hostLinks = try await f.exec(onHost.name, ["ip", "-o", "link"]).stdout
                #expect(hostLinks.split(separator: "\n").count > 1)
                // Joining another container's namespace: the same interfaces.
                var joined = f.spec("joined", ["sleep", "1000"])
                joined.networkMode = .container(isolated.name)
                let sharing = try await f.run(joined)
                #expect(try await f.exec(sharing.name, ["ip", "-o", "link"]).stdout == links)
            }
        }
    }
}
