import Glibc
import HostOS
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

extension HostResourceTests {
    /// Real packets between "containers" (plain network namespaces) on the
    /// test's networks, checked with ping through nsenter.
    @Suite struct NetworkTrafficTests {
        @Test func twoContainersOnOneNetworkReachEachOther() async throws {
            try await NetworkFixture.with { fixture in
                let name = try fixture.name("web")
                let network = try await fixture.networks.create(NetworkRequest(name: name))
                let one = try fixture.container("one")
                let two = try fixture.container("two")
                let a = try await fixture.networks.attach(
                    name, container: "one", netnsPath: one.path, defaultRoute: true)
                let b = try await fixture.networks.attach(
                    name, container: "two", netnsPath: two.path, defaultRoute: true)

                #expect(try await reaches(one, b.address.address))
                #expect(try await reaches(two, a.address.address))
                #expect(try await reaches(one, network.gateway))
                let routes = try await ipInside(one, "-4", "route", "show", "default")
                #expect(routes.contains("default via \(network.gateway) dev eth0"))
            }
        }

        @Test func containersOnDifferentNetworksCannotReachEachOther() async throws {
            try await NetworkFixture.with { fixture in
                let nameA = try fixture.name("a")
                let nameB = try fixture.name("b")
                try await fixture.networks.create(NetworkRequest(name: nameA))
                try await fixture.networks.create(NetworkRequest(name: nameB))
                let onA = try fixture.container("on-a")
                let onB = try fixture.container("on-b")
                let onBoth = try fixture.container("on-both")
                let a = try await fixture.networks.attach(
                    nameA, container: "on-a", netnsPath: onA.path, defaultRoute: true)
                let b = try await fixture.networks.attach(
                    nameB, container: "on-b", netnsPath: onB.path, defaultRoute: true)
                let bothA = try await fixture.networks.attach(
                    nameA, container: "on-both", netnsPath: onBoth.path, defaultRoute: true)
                let bothB = try await fixture.networks.attach(
                    nameB, container: "on-both", netnsPath: onBoth.path, interface: try InterfaceName(parsing: "eth1"),
                    defaultRoute: false)
                #expect(bothB.interface.rawValue == "eth1" && !bothB.hasDefaultRoute)

                // Both sides are up and answer on their own network...
                #expect(try await reaches(onBoth, a.address.address))
                #expect(try await reaches(onBoth, b.address.address))
                #expect(try await reaches(onA, bothA.address.address))
                #expect(try await reaches(onB, bothB.address.address))
                // ...and forwarding is on, so only the isolation rule stands
                // between a and b, whose default routes lead to each other.
                #expect(try AtomicFile.read(HostForwarding.path)?.first == UInt8(ascii: "1"))
                #expect(!(try await ping(from: onA, b.address.address)))
                #expect(!(try await ping(from: onB, a.address.address)))
            }
        }

        @Test func aContainerReachesTheOutsideMasqueraded() async throws {
            try await NetworkFixture.with { fixture in
                let name = try fixture.name("out")
                try await fixture.networks.create(NetworkRequest(name: name))
                let far = try fixture.outside()
                let one = try fixture.container("one")
                try await fixture.networks.attach(name, container: "one", netnsPath: one.path, defaultRoute: true)
                // The far side has no route back to the container's subnet:
                // only the masqueraded source (the host's address on the
                // outside link) can be answered.
                let outsideRoutes = try await sh(
                    "nsenter", "--net=\(fixture.root)/netns/outside", "ip", "-4", "route", "show")
                #expect(!outsideRoutes.contains("default"))
                #expect(try await reaches(one, far))
            }
        }

        @Test func anInternalNetworkHasNoWayOut() async throws {
            try await NetworkFixture.with { fixture in
                let name = try fixture.name("int")
                let network = try await fixture.networks.create(NetworkRequest(name: name, isInternal: true))
                let far = try fixture.outside()
                let one = try fixture.container("one")
                let two = try fixture.container("two")
                let a = try await fixture.networks.attach(
                    name, container: "one", netnsPath: one.path, defaultRoute: true)
                try await fixture.networks.attach(name, container: "two", netnsPath: two.path, defaultRoute: true)
                #expect(!a.hasDefaultRoute)
                #expect(try await ipInside(one, "-4", "route", "show", "default").isEmpty)
                // Peers and the gateway (the embedded DNS's address) answer.
                #expect(try await reaches(two, a.address.address))
                #expect(try await reaches(one, network.gateway))
                // Even with a route added by hand, nothing is forwarded out.
                try await ipInside(one, "route", "add", "default", "via", network.gateway.description)
                #expect(!(try await ping(from: one, far)))
                let rules = try await sh("nft", "list", "table", "inet", fixture.table)
                #expect(!rules.contains("masquerade"))
            }
        }
    }
}
