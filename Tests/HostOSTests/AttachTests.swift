import Glibc
import HostOS
import TestSupport
import Testing

extension HostOSSystemTests {
    /// A container namespace attached to a bridge: the address, the route
    /// and real traffic from the host.
    @Suite struct Attach {
        /// A bridge up with the subnet's first address as gateway, and a
        /// namespace, both removed after `body`.
        func withNetwork(
            _ body: (RTNetlink, TestNames, InterfaceName, IPv4CIDR, NetworkNamespace) async throws -> Void
        ) async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let bridge = try names.interface("br")
            let subnet = try freeSubnet(netlink)
            try await withScratchRoot { root in
                try await withBridge(netlink, bridge) {
                    try netlink.addAddress(subnet.host(1), to: bridge)
                    try netlink.setLink(bridge, up: true)
                    try await withNamespace(in: root, names.prefix) { namespace in
                        try await body(netlink, names, bridge, subnet, namespace)
                    }
                }
            }
        }

        @Test func attachedContainerHasAddressRouteAndAnswersPing() async throws {
            try await withNetwork { netlink, names, bridge, subnet, namespace in
                let hostVeth = try names.interface("v1")
                let address = subnet.host(2)
                let gateway = subnet.host(1).address
                let attachment = try netlink.attachContainer(
                    netnsPath: namespace.path, bridge: bridge, hostVethName: hostVeth,
                    address: address, gateway: gateway, defaultRoute: true)
                defer { try? netlink.detachContainer(attachment) }

                let addresses = try await sh(
                    "nsenter", "--net=\(namespace.path)", "ip", "-o", "-4", "addr", "show", "dev", "eth0")
                #expect(addresses.contains("eth0    inet \(address) brd \(address.broadcast) scope global eth0"))
                let routes = try await sh("nsenter", "--net=\(namespace.path)", "ip", "-4", "route", "show", "default")
                #expect(routes.contains("default via \(gateway) dev eth0"))
                let link = try await sh("nsenter", "--net=\(namespace.path)", "ip", "-o", "link", "show", "dev", "eth0")
                #expect(link.contains(",UP"))
                let hostSide = try await sh("ip", "-o", "link", "show", "dev", hostVeth.rawValue)
                #expect(hostSide.contains("master \(bridge)"))
                #expect(hostSide.contains(",UP"))

                // Only the container address this test made; the first ping
                // may race the bridge port's carrier, hence the deadline.
                let answered = try await eventually {
                    let ping = try await ProcessRunner().run(
                        Command(["ping", "-c1", "-W1", address.address.description], timeout: .seconds(5)))
                    return ping.succeeded
                }
                #expect(answered, "the host could not ping \(address.address)")

                try netlink.detachContainer(attachment)
                #expect(try netlink.linkIndex(of: hostVeth) == nil)
                let inside = try namespace.netlink().links().map(\.name)
                #expect(inside == ["lo"])
            }
        }

        @Test func attachWithoutDefaultRouteLeavesOnlyTheSubnetRoute() async throws {
            try await withNetwork { netlink, names, bridge, subnet, namespace in
                let attachment = try netlink.attachContainer(
                    netnsPath: namespace.path, bridge: bridge, hostVethName: try names.interface("v1"),
                    containerIfName: try InterfaceName(parsing: "net0"),
                    address: subnet.host(3), gateway: subnet.host(1).address, defaultRoute: false)
                defer { try? netlink.detachContainer(attachment) }
                let routes = try namespace.netlink().ipv4Routes().filter { $0.table == 254 }
                #expect(routes.map(\.destination) == [subnet])
                #expect(attachment.containerInterface.rawValue == "net0")
            }
        }

        @Test func stepwiseOperationsMoveRenameAndEnslave() async throws {
            // The long way attachContainer avoids, one operation at a time:
            // it exercises moveLink, renameLink and setMaster on their own.
            try await withNetwork { netlink, names, bridge, subnet, namespace in
                let hostVeth = try names.interface("v1")
                let peer = try names.interface("p1")
                try netlink.createVethPair(hostVeth, peer: peer)
                defer { try? netlink.deleteLink(hostVeth) }
                try netlink.setMaster(hostVeth, master: bridge)
                try netlink.setLink(hostVeth, up: true)
                try namespace.withFileDescriptor { try netlink.moveLink(peer, toNamespaceFD: $0) }
                #expect(try netlink.linkIndex(of: peer) == nil)

                let inside = try namespace.netlink()
                try inside.renameLink(peer, to: .eth0)
                try inside.addAddress(subnet.host(4), to: .eth0)
                try inside.setLink(.eth0, up: true)
                try inside.addDefaultRoute(via: subnet.host(1).address, device: .eth0)
                let routes = try await sh("nsenter", "--net=\(namespace.path)", "ip", "-4", "route", "show", "default")
                #expect(routes.contains("default via \(subnet.host(1).address) dev eth0"))
                #expect(try inside.links().contains { $0.name == "eth0" && $0.kind == "veth" && $0.isUp })
            }
        }

        @Test func aFailedStepRollsBackTheVethAndNamesTheStep() async throws {
            try await withNetwork { netlink, names, bridge, subnet, namespace in
                let gateway = subnet.host(1).address
                let first = try netlink.attachContainer(
                    netnsPath: namespace.path, bridge: bridge, hostVethName: try names.interface("v1"),
                    address: subnet.host(5), gateway: gateway, defaultRoute: true)
                defer { try? netlink.detachContainer(first) }
                // A second interface with a second default route: the
                // route is the last step, so everything before it is undone.
                let second = try names.interface("v2")
                let error = try #require(throws: HostOSError.self) {
                    try netlink.attachContainer(
                        netnsPath: namespace.path, bridge: bridge, hostVethName: second,
                        containerIfName: try InterfaceName(parsing: "eth1"),
                        address: subnet.host(6), gateway: gateway, defaultRoute: true)
                }
                #expect(
                    error.description
                        == "netlink: add default route via \(gateway) in \(namespace.path): File exists (EEXIST)")
                #expect(try netlink.linkIndex(of: second) == nil)
                #expect(try namespace.netlink().links().map(\.name).sorted() == ["eth0", "lo"])
            }
        }

        @Test func attachingToAMissingBridgeNamesTheBridgeAndLeavesNothing() async throws {
            try await withNetwork { netlink, names, _, subnet, namespace in
                let missing = try names.interface("zz")
                let hostVeth = try names.interface("v1")
                let error = try #require(throws: HostOSError.self) {
                    try netlink.attachContainer(
                        netnsPath: namespace.path, bridge: missing, hostVethName: hostVeth,
                        address: subnet.host(7), gateway: subnet.host(1).address, defaultRoute: true)
                }
                #expect(
                    error.description
                        == "netlink: create veth \"\(hostVeth)\" with peer \"eth0\": master \"\(missing)\": No such device (ENODEV)"
                )
                #expect(try netlink.linkIndex(of: hostVeth) == nil)
            }
        }
    }
}
