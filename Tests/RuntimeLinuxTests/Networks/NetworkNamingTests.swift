import BerthModel
import Foundation
import Glibc
import HostOS
import TestSupport
import Testing

@testable import RuntimeLinux

/// Names, the nft script and the state file: pure, no root.
@Suite struct NetworkNamingTests {
    @Test func namesAreFifteenBytesStableAndDistinct() throws {
        let naming = try NetworkNaming(prefix: "berth", table: "berth")
        let name = try NetworkName(parsing: "shop_backend")
        let bridge = try naming.bridge(for: name)
        #expect(bridge.rawValue.utf8.count == 15)
        #expect(bridge.rawValue.hasPrefix("berth"))
        #expect(try naming.bridge(for: name) == bridge)
        #expect(try naming.bridge(for: NetworkName(parsing: "shop_frontend")) != bridge)
        let veth = try naming.hostVeth(network: name, netnsPath: "/run/berth/netns/web")
        #expect(veth != bridge && veth.rawValue.utf8.count == 15)
        #expect(naming.owns(bridge.rawValue) && naming.owns(veth.rawValue) && !naming.owns("berth0"))

        let test = try NetworkNaming(prefix: "berth1a2b", table: "berth_t1a2b")
        #expect(try test.bridge(for: name).rawValue.hasPrefix("berth1a2b"))
        #expect(try test.bridge(for: name).rawValue.utf8.count == 15)
    }

    @Test func badPrefixesAndTablesAreRefused() {
        for prefix in ["brt", "berth-x", "berth12345678", "berth x"] {
            #expect(throws: BerthError.self) { try NetworkNaming(prefix: prefix, table: "berth") }
        }
        for table in ["", "1berth", "berth;flush ruleset", "ber th"] {
            #expect(throws: BerthError.self) { try NetworkNaming(prefix: "berth", table: table) }
        }
    }

    @Test func networkNamesFollowDockersGrammar() throws {
        for valid in ["a", "shop_back-end.1", "0net"] { #expect(NetworkName(valid) != nil) }
        for invalid in ["", "_a", ".a", "a/b", "a b", "a\"b", String(repeating: "a", count: 256)] {
            #expect(NetworkName(invalid) == nil)
        }
        let error = try #require(throws: BerthError.self) { try NetworkName(parsing: "a/b") }
        #expect(
            error.description
                == "invalid network name \"a/b\": use letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    }

    @Test func theFirewallScriptIsolatesMasqueradesAndSealsInternalNetworks() throws {
        func network(_ name: String, _ bridge: String, _ subnet: String, sealed: Bool = false) throws -> BridgeNetwork {
            let subnet = try IPv4CIDR(parsing: subnet)
            return BridgeNetwork(
                name: try NetworkName(parsing: name), bridge: try InterfaceName(parsing: bridge), subnet: subnet,
                gateway: IPv4(subnet.address.value + 1), ipRange: nil, isInternal: sealed)
        }
        let script = FirewallRules.script(
            table: "berth_t1",
            networks: [
                try network("b", "berthbb", "10.213.2.0/24"), try network("a", "berthaa", "10.213.1.0/24"),
                try network("i", "berthii", "10.213.3.0/24", sealed: true),
            ], uplinks: ["br0"])
        #expect(
            script == """
                table inet berth_t1
                delete table inet berth_t1
                table inet berth_t1 {
                \tchain forward {
                \t\ttype filter hook forward priority filter; policy accept;
                \t\tiifname "berthaa" oifname { "berthbb", "berthii" } drop comment "network a"
                \t\tiifname "berthaa" oifname != "berthaa" meta oifkind "bridge" oifname != { "br0" } drop comment "network a: no other bridge"
                \t\toifname "berthaa" iifname != "berthaa" meta iifkind "bridge" iifname != { "br0" } drop comment "network a: no other bridge"
                \t\tiifname "berthbb" oifname { "berthaa", "berthii" } drop comment "network b"
                \t\tiifname "berthbb" oifname != "berthbb" meta oifkind "bridge" oifname != { "br0" } drop comment "network b: no other bridge"
                \t\toifname "berthbb" iifname != "berthbb" meta iifkind "bridge" iifname != { "br0" } drop comment "network b: no other bridge"
                \t\tiifname "berthii" oifname != "berthii" drop comment "internal network i"
                \t\toifname "berthii" iifname != "berthii" drop comment "internal network i"
                \t}
                \tchain postrouting {
                \t\ttype nat hook postrouting priority srcnat; policy accept;
                \t\tip saddr 10.213.1.0/24 oifname != "berthaa" oifname != "lo" masquerade comment "network a"
                \t\tip saddr 10.213.2.0/24 oifname != "berthbb" oifname != "lo" masquerade comment "network b"
                \t}
                }

                """)
        #expect(
            FirewallRules.script(table: "berth_t1", networks: []) == "table inet berth_t1\ndelete table inet berth_t1\n"
        )
    }

    @Test func theStateFileRoundTrips() throws {
        let scratch = try ScratchDirectory(prefix: "berth-test")
        defer { try? scratch.remove() }
        let root = scratch.path
        let subnet = try IPv4CIDR(parsing: "10.213.1.0/24")
        let network = BridgeNetwork(
            name: try NetworkName(parsing: "shop_default"), bridge: try InterfaceName(parsing: "berth0123456789"),
            subnet: subnet, gateway: try #require(IPv4("10.213.1.1")),
            ipRange: try IPv4CIDR(parsing: "10.213.1.128/25"),
            isInternal: true, labels: ["com.docker.compose.project": "shop"],
            endpoints: [
                NetworkEndpoint(
                    container: "shop-web-1", netnsPath: "/run/berth/netns/web", interface: .eth0,
                    address: try IPv4CIDR(parsing: "10.213.1.130/24"),
                    hostVeth: try InterfaceName(parsing: "berth9876543210"),
                    hasDefaultRoute: false)
            ])
        let file = NetworkStateFile(path: root + "/networks.json")
        #expect(try file.load().isEmpty)
        try file.save([network])
        #expect(try file.load() == [network])
        // Only the file itself: the temporary one was renamed over it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["networks.json"])

        try AtomicFile.write(Array(#"{"version":1,"networks":[{"name":"a/b"}]}"#.utf8), to: root + "/networks.json")
        let error = try #require(throws: BerthError.self) { try file.load() }
        #expect(error.code == .state)
        #expect(error.message == "invalid network state \(root)/networks.json")
    }
}
