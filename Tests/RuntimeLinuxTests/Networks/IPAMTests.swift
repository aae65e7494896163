import BerthModel
import HostOS
import Testing

@testable import RuntimeLinux

/// IPAM's decisions as pure functions: no root, no kernel.
@Suite struct IPAMTests {
    func cidr(_ text: String) throws -> IPv4CIDR { try IPv4CIDR(parsing: text) }
    func ip(_ text: String) throws -> IPv4 { try #require(IPv4(text)) }
    func name(_ text: String) throws -> NetworkName { try NetworkName(parsing: text) }

    func network(_ name: String, _ subnet: String, endpoints: [(String, String)] = [], range: String? = nil) throws
        -> BridgeNetwork
    {
        let subnet = try cidr(subnet)
        var network = BridgeNetwork(
            name: try self.name(name), bridge: try InterfaceName(parsing: "berth" + name), subnet: subnet,
            gateway: IPv4(subnet.address.value + 1), ipRange: try range.map(cidr), isInternal: false)
        for (container, address) in endpoints {
            network.endpoints.append(
                NetworkEndpoint(
                    container: container, netnsPath: "/run/\(container)", interface: .eth0,
                    address: try cidr(address + "/\(subnet.prefixLength)"),
                    hostVeth: try InterfaceName(parsing: "berthv" + container), hasDefaultRoute: true))
        }
        return network
    }

    @Test func thePoolSkipsRoutedSubnetsAndOtherNetworks() throws {
        let pool = try AddressPool(base: cidr("10.213.8.0/22"), size: 24)
        let routes = [
            HostRoute(destination: try cidr("0.0.0.0/0"), interface: "eth0"),
            HostRoute(destination: try cidr("10.213.8.0/24"), interface: "dummy0"),
        ]
        let taken = [try network("a", "10.213.9.0/24")]
        let picked = try IPAM.addressing(
            for: NetworkRequest(name: name("b")), pools: [pool], routes: routes, networks: taken)
        #expect(picked == IPAM.Addressing(subnet: try cidr("10.213.10.0/24"), gateway: try ip("10.213.10.1")))
    }

    @Test func aWideRouteCoversEveryBlockInside() throws {
        let pool = try AddressPool(base: cidr("10.213.8.0/22"), size: 24)
        let routes = [HostRoute(destination: try cidr("10.213.8.0/23"), interface: "vpn0")]
        let picked = try IPAM.addressing(
            for: NetworkRequest(name: name("a")), pools: [pool], routes: routes, networks: [])
        #expect(picked.subnet == (try cidr("10.213.10.0/24")))
    }

    @Test func anExhaustedPoolSaysWhichPoolAndWhy() throws {
        let pool = try AddressPool(base: cidr("10.213.8.0/23"), size: 24)
        let taken = [try network("a", "10.213.8.0/24"), try network("b", "10.213.9.0/24")]
        let error = try #require(throws: BerthError.self) {
            try IPAM.addressing(for: NetworkRequest(name: name("c")), pools: [pool], routes: [], networks: taken)
        }
        #expect(error.code == .exhausted)
        #expect(
            error.description
                == "no free subnet left for network \"c\" in the address pool 10.213.8.0/23 by /24: every block is routed on the host or used by another network"
        )
    }

    @Test func anExplicitSubnetOverlappingARouteNamesBoth() throws {
        let routes = [HostRoute(destination: try cidr("10.213.0.0/16"), interface: "dummy0")]
        let request = NetworkRequest(name: try name("shop_back"), subnet: try cidr("10.213.4.0/24"))
        let error = try #require(throws: BerthError.self) {
            try IPAM.addressing(for: request, pools: AddressPool.defaults, routes: routes, networks: [])
        }
        #expect(error.code == .overlap)
        #expect(
            error.description
                == "subnet 10.213.4.0/24 of network \"shop_back\" overlaps 10.213.0.0/16, routed on the host via \"dummy0\""
        )
    }

    @Test func anExplicitSubnetOverlappingANetworkNamesIt() throws {
        let request = NetworkRequest(name: try name("b"), subnet: try cidr("10.213.0.0/16"))
        let error = try #require(throws: BerthError.self) {
            try IPAM.addressing(for: request, pools: [], routes: [], networks: [try network("a", "10.213.7.0/24")])
        }
        #expect(error.description == "subnet 10.213.0.0/16 of network \"b\" overlaps 10.213.7.0/24 of network \"a\"")
    }

    @Test func explicitAddressingIsChecked() throws {
        let given = NetworkRequest(
            name: try name("a"), subnet: try cidr("10.213.4.0/24"), gateway: try ip("10.213.4.254"),
            ipRange: try cidr("10.213.4.128/25"))
        let picked = try IPAM.addressing(for: given, pools: [], routes: [], networks: [])
        #expect(picked.gateway == (try ip("10.213.4.254")))
        #expect(picked.ipRange == (try cidr("10.213.4.128/25")))

        let cases: [(NetworkRequest, String)] = [
            (
                NetworkRequest(name: try name("a"), subnet: try cidr("10.213.4.7/24")),
                "invalid subnet 10.213.4.7/24 of network \"a\": host bits set, it should be 10.213.4.0/24"
            ),
            (
                NetworkRequest(name: try name("a"), subnet: try cidr("10.213.4.0/24"), gateway: try ip("10.213.5.1")),
                "invalid gateway 10.213.5.1 of network \"a\": outside the subnet 10.213.4.0/24"
            ),
            (
                NetworkRequest(name: try name("a"), subnet: try cidr("10.213.4.0/24"), gateway: try ip("10.213.4.255")),
                "invalid gateway 10.213.4.255 of network \"a\": the broadcast address of 10.213.4.0/24"
            ),
            (
                NetworkRequest(
                    name: try name("a"), subnet: try cidr("10.213.4.0/24"), ipRange: try cidr("10.213.0.0/23")),
                "ip_range 10.213.0.0/23 of network \"a\" is outside its subnet 10.213.4.0/24"
            ),
            (
                NetworkRequest(name: try name("a"), gateway: try ip("10.213.4.1")),
                "gateway 10.213.4.1 of network \"a\" needs a subnet"
            ),
            (
                NetworkRequest(name: try name("a"), subnet: try cidr("10.213.4.0/31")),
                "invalid subnet 10.213.4.0/31 of network \"a\": no room for a gateway and a container"
            ),
        ]
        for (request, message) in cases {
            let error = try #require(throws: BerthError.self) {
                try IPAM.addressing(for: request, pools: [], routes: [], networks: [])
            }
            #expect(error.description == message)
        }
    }

    @Test func addressesAreTheLowestFreeHostOrTheStaticOne() throws {
        let net = try network("a", "10.213.4.0/24", endpoints: [("one", "10.213.4.2"), ("two", "10.213.4.4")])
        #expect(try IPAM.address(nil, for: "three", in: net) == ip("10.213.4.3"))
        #expect(try IPAM.address(ip("10.213.4.200"), for: "three", in: net) == ip("10.213.4.200"))

        let ranged = try network("r", "10.213.4.0/24", endpoints: [("one", "10.213.4.128")], range: "10.213.4.128/25")
        #expect(try IPAM.address(nil, for: "two", in: ranged) == ip("10.213.4.129"))
        // Static addresses may lie outside the range, inside the subnet.
        #expect(try IPAM.address(ip("10.213.4.9"), for: "two", in: ranged) == ip("10.213.4.9"))

        let taken = try #require(throws: BerthError.self) { try IPAM.address(ip("10.213.4.4"), for: "x", in: net) }
        #expect(taken.code == .addressTaken)
        #expect(taken.description == "address 10.213.4.4 on network \"a\" is already in use by container \"two\"")
        let gateway = try #require(throws: BerthError.self) { try IPAM.address(ip("10.213.4.1"), for: "x", in: net) }
        #expect(gateway.description == "address 10.213.4.1 for container \"x\" is the gateway of network \"a\"")
        let outside = try #require(throws: BerthError.self) { try IPAM.address(ip("10.9.9.9"), for: "x", in: net) }
        #expect(
            outside.description
                == "address 10.9.9.9 for container \"x\" on network \"a\": outside the subnet 10.213.4.0/24")
    }

    @Test func aFullSubnetSaysSo() throws {
        // A /30 has two hosts: the gateway and one container.
        let net = try network("tiny", "10.213.4.0/30", endpoints: [("one", "10.213.4.2")])
        let error = try #require(throws: BerthError.self) { try IPAM.address(nil, for: "two", in: net) }
        #expect(error.code == .exhausted)
        #expect(
            error.description
                == "no free address left in 10.213.4.0/30 on network \"tiny\" for container \"two\" (1 in use)")
    }

    @Test func poolsAreChecked() throws {
        #expect(throws: BerthError.self) { try AddressPool(base: cidr("10.213.8.1/22"), size: 24) }
        #expect(throws: BerthError.self) { try AddressPool(base: cidr("10.213.8.0/22"), size: 20) }
        #expect(throws: BerthError.self) { try AddressPool(base: cidr("10.213.8.0/22"), size: 31) }
        #expect(AddressPool.defaults.map(\.description) == ["172.30.0.0/16 by /24"])
    }
}
