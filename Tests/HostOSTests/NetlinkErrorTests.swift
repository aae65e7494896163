import Glibc
import HostOS
import Testing

extension HostOSSystemTests {
    /// What the kernel refuses, and that each message names the operation,
    /// the object and the errno.
    @Suite struct NetlinkErrors {
        @Test func creatingAnExistingBridgeNamesIt() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let bridge = try names.interface("br")
            try await withBridge(netlink, bridge) {
                let error = try #require(throws: HostOSError.self) { try netlink.createBridge(bridge) }
                #expect(error.description == "netlink: create bridge \"\(bridge)\": File exists (EEXIST)")
                #expect(error.code == .netlink)
                #expect(error.errno == EEXIST)
            }
        }

        @Test func deletingAMissingLinkNamesIt() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let missing = try names.interface("zz")
            let error = try #require(throws: HostOSError.self) { try netlink.deleteLink(missing) }
            #expect(error.description == "netlink: delete link \"\(missing)\": No such device (ENODEV)")
        }

        @Test func addressingAMissingLinkNamesLinkAndAddress() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let missing = try names.interface("zz")
            let address = try IPv4CIDR(parsing: "10.255.255.2/24")
            let error = try #require(throws: HostOSError.self) { try netlink.addAddress(address, to: missing) }
            #expect(
                error.description == "netlink: add address 10.255.255.2/24 to \"\(missing)\": No such device (ENODEV)")
        }

        @Test func addingTheSameAddressTwiceIsEEXIST() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let bridge = try names.interface("br")
            let subnet = try freeSubnet(netlink)
            try await withBridge(netlink, bridge) {
                try netlink.addAddress(subnet.host(1), to: bridge)
                let error = try #require(throws: HostOSError.self) {
                    try netlink.addAddress(subnet.host(1), to: bridge)
                }
                #expect(
                    error.description
                        == "netlink: add address \(subnet.host(1)) to \"\(bridge)\": File exists (EEXIST): ipv4: Address already assigned"
                )
            }
        }

        @Test func anUnreachableGatewayCarriesTheKernelsOwnSentence() async throws {
            // The kernel's extended ack explains what a bare ENETUNREACH
            // does not; this runs inside a fresh namespace so the host's
            // routes are never touched.
            let names = TestNames.fresh()
            try await withScratchRoot { root in
                try await withNamespace(in: root, names.prefix) { namespace in
                    let inside = try namespace.netlink()
                    let gateway = try #require(IPv4("10.254.254.1"))
                    let error = try #require(throws: HostOSError.self) { try inside.addDefaultRoute(via: gateway) }
                    #expect(
                        error.description
                            == "netlink: add default route via 10.254.254.1: Network is unreachable (ENETUNREACH): Nexthop has invalid gateway"
                    )
                    #expect(error.errno == ENETUNREACH)
                }
            }
        }

        @Test func invalidAddressesNeverReachTheKernel() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let cases: [(String, String)] = [
                ("172.20.0.300/24", "invalid IPv4 address \"172.20.0.300/24\": \"172.20.0.300\" is not a dotted quad"),
                ("172.20.0.2/33", "invalid IPv4 address \"172.20.0.2/33\": prefix \"33\" is not 0-32"),
                ("172.20.0.2", "invalid IPv4 address \"172.20.0.2\": expected a.b.c.d/prefix"),
            ]
            for (text, message) in cases {
                let error = try #require(throws: HostOSError.self) { try IPv4CIDR(parsing: text) }
                #expect(error.description == message)
                #expect(error.code == .invalidArgument)
            }
            // A gateway outside the container's subnet is caught before any
            // link is made.
            let hostVeth = try names.interface("v1")
            let error = try #require(throws: HostOSError.self) {
                try netlink.attachContainer(
                    netnsPath: "/nonexistent", bridge: try names.interface("br"), hostVethName: hostVeth,
                    address: try IPv4CIDR(parsing: "10.1.2.3/24"), gateway: try #require(IPv4("10.9.9.1")),
                    defaultRoute: true)
            }
            #expect(
                error.description
                    == "attach \"\(hostVeth)\" to \"\(names.prefix)br\": gateway 10.9.9.1 is outside 10.1.2.0/24")
        }

        @Test func tooLongInterfaceNamesNeverReachTheKernel() {
            let error = #expect(throws: HostOSError.self) { try InterfaceName(parsing: "berth0123456789ab") }
            #expect(
                error?.description == "invalid interface name \"berth0123456789ab\": 17 bytes, the kernel allows 15")
        }
    }
}
