import Glibc
import HostOS
import TestSupport
import Testing

extension HostOSSystemTests {
    /// Bridges and plain link operations in the host namespace, read back
    /// with the real `ip`.
    @Suite struct Bridges {
        @Test func createdBridgeIsListedByIPAndByLinksAndGoneAfterDelete() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let bridge = try names.interface("br")
            try await withBridge(netlink, bridge) {
                let shown = try await sh("ip", "-o", "-d", "link", "show", "dev", bridge.rawValue)
                #expect(shown.contains(": \(bridge):"))
                #expect(shown.contains(" bridge "))

                let index = try #require(try netlink.linkIndex(of: bridge))
                #expect(shown.hasPrefix("\(index): "))
                let listed = try #require(try netlink.links().first { $0.name == bridge.rawValue })
                #expect(
                    listed
                        == LinkInfo(name: bridge.rawValue, index: index, kind: "bridge", isUp: false, masterIndex: nil))
            }
            #expect(try netlink.linkIndex(of: bridge) == nil)
            #expect(!(try await sh("ip", "-o", "link", "show")).contains(": \(bridge):"))
        }

        @Test func setUpAndDownTogglesOnlyIFF_UP() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let bridge = try names.interface("br")
            try await withBridge(netlink, bridge) {
                try netlink.setLink(bridge, up: true)
                #expect(try netlink.links().first { $0.name == bridge.rawValue }?.isUp == true)
                #expect(try await sh("ip", "-o", "link", "show", "dev", bridge.rawValue).contains(",UP"))
                try netlink.setLink(bridge, up: false)
                #expect(try netlink.links().first { $0.name == bridge.rawValue }?.isUp == false)
            }
        }

        @Test func vethPairEnslavedToBridgeShowsMasterAndDiesWhole() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let bridge = try names.interface("br")
            let host = try names.interface("h")
            let peer = try names.interface("p")
            try await withBridge(netlink, bridge) {
                try netlink.createVethPair(host, peer: peer)
                do {
                    try netlink.setMaster(host, master: bridge)
                    let shown = try await sh("ip", "-o", "-d", "link", "show", "dev", host.rawValue)
                    #expect(shown.contains("master \(bridge)"))
                    #expect(shown.contains(" veth "))
                    let links = try netlink.links()
                    let bridgeIndex = try #require(links.first { $0.name == bridge.rawValue }?.index)
                    #expect(links.first { $0.name == host.rawValue }?.masterIndex == bridgeIndex)
                    #expect(links.first { $0.name == peer.rawValue }?.kind == "veth")
                } catch {
                    try? netlink.deleteLink(host)
                    throw error
                }
                // Deleting one end deletes the pair.
                try netlink.deleteLink(host)
                #expect(try netlink.linkIndex(of: peer) == nil)
            }
        }

        @Test func renameLinkTakesEffectWhileDown() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let before = try names.interface("a")
            let after = try names.interface("b")
            try await withBridge(netlink, before) {
                try netlink.renameLink(before, to: after)
                #expect(try netlink.linkIndex(of: before) == nil)
                #expect(try netlink.linkIndex(of: after) != nil)
                // Put the name back so the fixture deletes what it made.
                try netlink.renameLink(after, to: before)
            }
        }

        @Test func routesListTheBridgeSubnetOnceItIsUpWithAnAddress() async throws {
            let names = TestNames.fresh()
            let netlink = try RTNetlink()
            let bridge = try names.interface("br")
            let subnet = try freeSubnet(netlink)
            try await withBridge(netlink, bridge) {
                try netlink.addAddress(subnet.host(1), to: bridge)
                try netlink.setLink(bridge, up: true)
                let index = try #require(try netlink.linkIndex(of: bridge))
                let routes = try netlink.ipv4Routes()
                #expect(routes.contains { $0.destination == subnet && $0.interfaceIndex == index && $0.table == 254 })
                // The host's own default route is there too (the IPAM must
                // see everything the host routes).
                let shown = try await sh("ip", "-4", "route", "show", "default")
                if shown.contains("default") {
                    #expect(routes.contains { $0.destination.prefixLength == 0 })
                }
            }
        }
    }
}
