import Glibc
import HostOS
import TestSupport
import Testing

@_spi(Components) @testable import RuntimeLinux

/// One network test's world: a state root, a prefix, an nft table, a /22
/// (its first /23 is the manager's pool), a `BridgeNetworks` on them, and
/// whatever the test adds (namespaces, links), all undone in reverse when
/// the test ends, also when it throws.
struct NetworkFixture {
    let scope: Scope
    let root: String
    let prefix: String
    let table: String
    let block: IPv4CIDR
    let pool: AddressPool
    let networks: BridgeNetworks
    let host: RTNetlink

    /// Runs `body` with a fresh fixture.
    static func with(_ body: (NetworkFixture) async throws -> Void) async throws {
        try await Scope.with { scope in
            let root = try makeStateRoot(scope)
            let (prefix, table) = freshNames()
            let block = try freshBlock()
            let pool = try AddressPool(base: try #require(IPv4CIDR(address: block.address, prefixLength: 23)), size: 24)
            let fixture = NetworkFixture(
                scope: scope, root: root, prefix: prefix, table: table, block: block, pool: pool,
                networks: try Self.manager(root: root, prefix: prefix, table: table, pool: pool), host: try RTNetlink())
            // Registered first, so it runs last: whatever the test left,
            // networks go before the state root does.
            scope.onExit("remove networks") { [networks = fixture.networks] in try await networks.removeAll() }
            try await body(fixture)
        }
    }

    private static func manager(root: String, prefix: String, table: String, pool: AddressPool) throws -> BridgeNetworks
    {
        try BridgeNetworks(
            .init(stateDirectory: root + "/networks", namePrefix: prefix, tableName: table, pools: [pool]))
    }

    /// A second manager on the same state, as a restarted berthd would open.
    func reopened() throws -> BridgeNetworks {
        try Self.manager(root: root, prefix: prefix, table: table, pool: pool)
    }

    /// The `index`-th /24 of the test's /22.
    func subnet(_ index: UInt32) throws -> IPv4CIDR {
        try #require(IPv4CIDR(address: IPv4(block.address.value + index << 8), prefixLength: 24))
    }

    /// A network name unique to this test.
    func name(_ suffix: String) throws -> NetworkName {
        try NetworkName(parsing: "\(prefix)_\(suffix)")
    }

    /// A "container": a plain network namespace under the root, deleted
    /// when the scope unwinds (after the networks that use it are gone).
    func container(_ name: String) throws -> NetworkNamespace {
        let namespace = try NetworkNamespace.create(try #require(NetworkNamespace.Name(name)), in: root + "/netns")
        scope.onExit("delete namespace \(name)") { try namespace.delete() }
        return namespace
    }

    /// The "outside world" on this machine: a namespace behind a plain veth
    /// (not a Berth bridge) at the fourth /24 of the block, with no route
    /// back to any container subnet, so only masqueraded traffic gets an
    /// answer. Returns its address.
    func outside() throws -> IPv4 {
        let namespace = try container("outside")
        let hostEnd = try InterfaceName(parsing: prefix + "o")
        let subnet = try subnet(3)
        let hostAddress = try #require(IPv4CIDR(address: IPv4(subnet.address.value + 1), prefixLength: 24))
        let farAddress = try #require(IPv4CIDR(address: IPv4(subnet.address.value + 2), prefixLength: 24))
        try namespace.withFileDescriptor { fd in
            try host.createVethPair(hostEnd, peer: .eth0, master: nil, up: true, peerNamespaceFD: fd)
        }
        scope.onExit("delete \(hostEnd)") { [host] in try host.deleteLink(hostEnd) }
        try host.addAddress(hostAddress, to: hostEnd)
        let inside = try namespace.netlink()
        try inside.addAddress(farAddress, to: .eth0)
        try inside.setLink(.eth0, up: true)
        return farAddress.address
    }

    /// A link with `address`: a route the host has, that IPAM must skip.
    /// A veth pair with both ends up, as this kernel has no dummy driver.
    func routedLink(_ address: IPv4CIDR) throws {
        let name = try InterfaceName(parsing: prefix + "d")
        try host.createVethPair(name, peer: try InterfaceName(parsing: prefix + "e"))
        scope.onExit("delete \(name)") { [host] in try host.deleteLink(name) }
        try host.addAddress(address, to: name)
        try host.setLink(name, up: true)
        try host.setLink(try InterfaceName(parsing: prefix + "e"), up: true)
    }
}

/// `ping -c1 -W1 address` from inside a namespace.
func ping(from namespace: NetworkNamespace, _ address: IPv4) async throws -> Bool {
    try await succeeds("nsenter", "--net=\(namespace.path)", "ping", "-c1", "-W1", address.description)
}

/// `ping` retried up to a deadline: the first may race the bridge port's
/// carrier or ARP, which is not what the tests are about.
func reaches(_ namespace: NetworkNamespace, _ address: IPv4) async throws -> Bool {
    try await eventually { try await ping(from: namespace, address) }
}

/// Runs `ip` inside a namespace and returns what it printed.
@discardableResult
func ipInside(_ namespace: NetworkNamespace, _ arguments: String...) async throws -> String {
    try await ProcessRunner().run(
        HostOS.Command(["nsenter", "--net=\(namespace.path)", "ip"] + arguments, timeout: .seconds(10))
    ).check().output
}
