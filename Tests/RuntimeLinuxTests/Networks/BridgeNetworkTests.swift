import BerthModel
import Glibc
import HostOS
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

extension HostResourceTests {
    /// Bridges, IPAM against the real routing table, persistence, the table.
    @Suite struct BridgeNetworkTests {
        @Test func aNetworkIsABridgeWithItsGatewayAndItsRulesUntilRemoved() async throws {
            try await NetworkFixture.with { fixture in
                let name = try fixture.name("web")
                let network = try await fixture.networks.create(NetworkRequest(name: name))
                #expect(network.subnet == (try fixture.subnet(0)))
                #expect(network.gateway == IPv4(network.subnet.address.value + 1))
                #expect(network.bridge.rawValue.hasPrefix(fixture.prefix) && network.bridge.rawValue.utf8.count == 15)

                let link = try await sh("ip", "-o", "-4", "addr", "show", "dev", network.bridge.rawValue)
                #expect(link.contains("inet \(network.gateway)/24"))
                let flags = try await sh("ip", "-o", "link", "show", "dev", network.bridge.rawValue)
                #expect(flags.contains(",UP") && flags.contains("link/ether"))
                let rules = try await sh("nft", "list", "table", "inet", fixture.table)
                #expect(
                    rules.contains(
                        "ip saddr \(network.subnet) oifname != \"\(network.bridge)\" oifname != \"lo\" masquerade"))
                #expect(try AtomicFile.read(HostForwarding.path)?.first == UInt8(ascii: "1"))

                let again = try await #require(throws: BerthError.self) {
                    try await fixture.networks.create(NetworkRequest(name: name))
                }
                #expect(again.description == "network \"\(name)\" already exists")

                try await fixture.networks.remove(name)
                #expect(try fixture.host.linkIndex(of: network.bridge) == nil)
                #expect(!(try await succeeds("nft", "list", "table", "inet", fixture.table)))
                let missing = try await #require(throws: BerthError.self) { try await fixture.networks.remove(name) }
                #expect(missing.code == .notFound)
            }
        }

        @Test func thePoolSkipsASubnetTheHostRoutes() async throws {
            try await NetworkFixture.with { fixture in
                let routed = try fixture.subnet(0)
                try fixture.routedLink(
                    try #require(IPv4CIDR(address: IPv4(routed.address.value + 9), prefixLength: 24)))
                let network = try await fixture.networks.create(NetworkRequest(name: try fixture.name("a")))
                #expect(network.subnet == (try fixture.subnet(1)))

                // The pool (a /23) has nothing left: one block routed, one used.
                let full = try await #require(throws: BerthError.self) {
                    try await fixture.networks.create(NetworkRequest(name: try fixture.name("b")))
                }
                #expect(full.code == .exhausted)
                #expect(full.message.contains("in the address pool \(fixture.pool)"))

                // Asked for explicitly, the routed subnet is an error naming both.
                let overlap = try await #require(throws: BerthError.self) {
                    try await fixture.networks.create(NetworkRequest(name: try fixture.name("c"), subnet: routed))
                }
                #expect(
                    overlap.description
                        == "subnet \(routed) of network \"\(try fixture.name("c"))\" overlaps \(routed), routed on the host via \"\(fixture.prefix)d\""
                )
                // Nothing half-made is left by the failures.
                #expect(await fixture.networks.list().map(\.name) == [try fixture.name("a")])
            }
        }

        @Test func allocationsSurviveARestart() async throws {
            try await NetworkFixture.with { fixture in
                let name = try fixture.name("db")
                let subnet = try fixture.subnet(2)
                let fixed = IPv4(subnet.address.value + 50)
                try await fixture.networks.create(
                    NetworkRequest(name: name, subnet: subnet, labels: ["project": "shop"]))
                let one = try fixture.container("one")
                let two = try fixture.container("two")
                let first = try await fixture.networks.attach(
                    name, container: "shop-one-1", netnsPath: one.path, address: fixed, defaultRoute: true)
                #expect(first.address.address == fixed)
                let second = try await fixture.networks.attach(
                    name, container: "shop-two-1", netnsPath: two.path, defaultRoute: true)
                #expect(second.address.address == IPv4(subnet.address.value + 2))

                // A new manager on the same directory, as after a berthd restart.
                let reopened = try fixture.reopened()
                let seen = try #require(await reopened.network(name))
                #expect(seen == (await fixture.networks.network(name)))
                #expect(seen.labels == ["project": "shop"])
                #expect(seen.endpoints.map(\.container) == ["shop-two-1", "shop-one-1"])
                let three = try fixture.container("three")
                let taken = try await #require(throws: BerthError.self) {
                    try await reopened.attach(
                        name, container: "shop-three-1", netnsPath: three.path, address: fixed, defaultRoute: true)
                }
                #expect(
                    taken.description
                        == "address \(fixed) on network \"\(name)\" is already in use by container \"shop-one-1\"")
                let third = try await reopened.attach(
                    name, container: "shop-three-1", netnsPath: three.path, defaultRoute: true)
                #expect(third.address.address == IPv4(subnet.address.value + 3))

                // Detaching frees the address for the next container.
                try await reopened.detach(name, netnsPath: two.path)
                #expect(try fixture.host.linkIndex(of: second.hostVeth) == nil)
                let four = try fixture.container("four")
                let fourth = try await reopened.attach(
                    name, container: "shop-four-1", netnsPath: four.path, defaultRoute: true)
                #expect(fourth.address.address == second.address.address)

                let busy = try await #require(throws: BerthError.self) { try await reopened.remove(name) }
                #expect(busy.code == .inUse)
                #expect(
                    busy.description
                        == "network \"\(name)\" is in use by container \"shop-four-1\", \"shop-three-1\", \"shop-one-1\""
                )
                try await reopened.removeAll()
                #expect(await reopened.list().isEmpty)
                #expect(await (try fixture.reopened()).list().isEmpty)
            }
        }

        @Test func theTableGoesWithTheLastNetwork() async throws {
            try await NetworkFixture.with { fixture in
                let a = try await fixture.networks.create(NetworkRequest(name: try fixture.name("a")))
                let b = try await fixture.networks.create(NetworkRequest(name: try fixture.name("b"), isInternal: true))
                var rules = try await sh("nft", "list", "table", "inet", fixture.table)
                #expect(rules.contains("iifname \"\(a.bridge)\" oifname \"\(b.bridge)\" drop"))
                #expect(rules.contains("iifname \"\(b.bridge)\" oifname != \"\(b.bridge)\" drop"))
                #expect(!rules.contains("ip saddr \(b.subnet)"))

                try await fixture.networks.remove(a.name)
                rules = try await sh("nft", "list", "table", "inet", fixture.table)
                #expect(!rules.contains("\(a.bridge)"))
                try await fixture.networks.remove(b.name)
                #expect(!(try await succeeds("nft", "list", "table", "inet", fixture.table)))
                #expect(try fixture.host.linkIndex(of: b.bridge) == nil)
            }
        }

        @Test func restoreRecreatesBridgesAndRules() async throws {
            try await NetworkFixture.with { fixture in
                let network = try await fixture.networks.create(NetworkRequest(name: try fixture.name("r")))
                // What a reboot does: the bridge and the table are gone.
                try fixture.host.deleteLink(network.bridge)
                try await sh("nft", "delete", "table", "inet", fixture.table)
                let reopened = try fixture.reopened()
                try await reopened.restore()
                let link = try await sh("ip", "-o", "-4", "addr", "show", "dev", network.bridge.rawValue)
                #expect(link.contains("inet \(network.gateway)/24"))
                #expect(try await succeeds("nft", "list", "table", "inet", fixture.table))
            }
        }
    }
}
