import AsyncKeyedLock
import BerthModel
import Glibc
import HostOS

/// The user-defined bridge networks of one berthd: a Linux bridge per
/// network with the gateway address on it, IPAM per network, a veth per
/// attached container, and one nftables table for masquerade and isolation.
///
/// State lives in `<stateDirectory>/networks.json` and is reloaded by a new
/// instance on the same directory, so a restarted berthd knows which
/// addresses are taken. Operations run one at a time, across their awaits
/// too: an actor alone would let a second `create` pick its subnet while
/// the first one waits for `nft`, and both would pick the same.
@_spi(Components) public actor BridgeNetworks {
    /// Where the state lives and how things on the host are named.
    public struct Configuration: Sendable {
        /// Holds `networks.json`; created if missing.
        public var stateDirectory: String
        /// Interface names begin with this: `berth`, or `berth` plus a few
        /// characters so that parallel tests never share a name.
        public var namePrefix: String
        /// The nftables table (family inet) this instance owns.
        public var tableName: String
        /// Where subnets come from when a network names none.
        public var pools: [AddressPool]
        /// Runs `nft`.
        public var runner: any CommandRunner

        /// A configuration; the defaults are berthd's.
        public init(
            stateDirectory: String, namePrefix: String = "berth", tableName: String = "berth",
            pools: [AddressPool] = AddressPool.defaults, runner: any CommandRunner = ProcessRunner()
        ) {
            self.stateDirectory = stateDirectory
            self.namePrefix = namePrefix
            self.tableName = tableName
            self.pools = pools
            self.runner = runner
        }
    }

    // Internal rather than private: BridgeNetworks+Host.swift acts on them.
    let naming: NetworkNaming
    let pools: [AddressPool]
    let runner: any CommandRunner
    let stateFile: NetworkStateFile
    let netlink: RTNetlink
    var networks: [NetworkName: BridgeNetwork]
    /// The one key of `gate`: every operation may touch every network
    /// (IPAM looks at all subnets), so they all take turns.
    enum Operations { case all }
    /// The one-at-a-time gate of `exclusively`.
    let gate = KeyedLock<Operations>()

    /// Opens the state under `configuration.stateDirectory` (creating the
    /// directory) and a netlink socket in the caller's network namespace.
    /// Nothing on the host changes until an operation is called.
    public init(_ configuration: Configuration) throws(BerthError) {
        naming = try NetworkNaming(prefix: configuration.namePrefix, table: configuration.tableName)
        guard !configuration.pools.isEmpty else {
            throw BerthError(.invalidArgument, "bridge networks need at least one address pool")
        }
        pools = configuration.pools
        runner = configuration.runner
        do {
            try Files.makeDirectories(configuration.stateDirectory, mode: 0o700)
            netlink = try RTNetlink()
        } catch {
            throw BerthError(
                .host, "cannot open the network state in \(configuration.stateDirectory)", wrapping: error)
        }
        stateFile = NetworkStateFile(path: configuration.stateDirectory + "/networks.json")
        let loaded = try stateFile.load()
        networks = Dictionary(loaded.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every network, by name.
    public func list() -> [BridgeNetwork] { networks.values.sorted { $0.name < $1.name } }

    /// The network called `name`, if it exists.
    public func network(_ name: NetworkName) -> BridgeNetwork? { networks[name] }

    /// The nftables table this instance owns.
    public nonisolated var tableName: String { naming.table }

    /// Creates a network: IPAM picks or checks its subnet, a bridge
    /// `<prefix><hash>` gets the gateway address and goes up, and the table
    /// is rewritten with the new network's rules (IPv4 forwarding is turned
    /// on for a non-internal one). All or nothing: a failed step undoes the
    /// earlier ones.
    @discardableResult
    public func create(_ request: NetworkRequest) async throws(BerthError) -> BridgeNetwork {
        try await exclusively { () async throws(BerthError) -> BridgeNetwork in
            let name = request.name
            if networks[name] != nil { throw BerthError(.alreadyExists, "network \"\(name)\" already exists") }
            let addressing = try IPAM.addressing(
                for: request, pools: pools, routes: try hostRoutes(), networks: Array(networks.values))
            let bridge = try naming.bridge(for: name)
            if let clash = networks.values.first(where: { $0.bridge == bridge }) {
                throw BerthError(
                    .alreadyExists, "bridge \"\(bridge)\" of network \"\(name)\" is taken by network \"\(clash.name)\"")
            }
            let network = BridgeNetwork(
                name: name, bridge: bridge, subnet: addressing.subnet, gateway: addressing.gateway,
                ipRange: addressing.ipRange, isInternal: request.isInternal, labels: request.labels)
            try await makeBridge(for: network)
            var next = networks
            next[name] = network
            do throws(BerthError) {
                if !network.isInternal { try HostForwarding.enable() }
                try await applyFirewall(next)
                try stateFile.save(Array(next.values))
            } catch {
                // Undo in reverse; the error that matters is the one that stopped us.
                try? await applyFirewall(networks)
                try? netlink.deleteLink(bridge)
                throw error
            }
            networks = next
            return network
        }
    }

    /// Removes a network with no containers attached: its bridge, its
    /// addresses and its rules (the whole table with the last network).
    public func remove(_ name: NetworkName) async throws(BerthError) {
        try await exclusively { () async throws(BerthError) in
            guard let network = networks[name] else { throw BerthError(.notFound, "network \"\(name)\" not found") }
            guard network.endpoints.isEmpty else {
                let containers = network.endpoints.map { "\"\($0.container)\"" }.joined(separator: ", ")
                throw BerthError(.inUse, "network \"\(name)\" is in use by container \(containers)")
            }
            try await deleteLink(network.bridge, "delete bridge \"\(network.bridge)\" of network \"\(name)\"")
            var next = networks
            next[name] = nil
            try stateFile.save(Array(next.values))
            networks = next
            try await applyFirewall(next)
        }
    }

    /// Puts the container whose network namespace is `netnsPath` on the
    /// network: the static `address` or the next free one, a veth pair with
    /// `interface` inside, and (`defaultRoute`, never on an internal
    /// network) the default route through the gateway. The caller passes
    /// `defaultRoute` for the first non-internal network of the container.
    @discardableResult
    public func attach(
        _ name: NetworkName, container: String, netnsPath: String, interface: InterfaceName = .eth0,
        address requested: IPv4? = nil, defaultRoute: Bool, hardwareAddress: [UInt8]? = nil
    ) async throws(BerthError) -> NetworkEndpoint {
        try await exclusively { () async throws(BerthError) -> NetworkEndpoint in
            guard var network = networks[name] else { throw BerthError(.notFound, "network \"\(name)\" not found") }
            if let existing = network.endpoints.first(where: { $0.netnsPath == netnsPath }) {
                throw BerthError(
                    .alreadyExists,
                    "container \"\(container)\" is already attached to network \"\(name)\" as \(existing.address.address)"
                )
            }
            let address = try IPAM.address(requested, for: container, in: network)
            guard let cidr = IPv4CIDR(address: address, prefixLength: network.subnet.prefixLength) else {
                throw BerthError(.invalidArgument, "invalid address \(address) on network \"\(name)\"")
            }
            let hostVeth = try naming.hostVeth(network: name, netnsPath: netnsPath)
            let route = defaultRoute && !network.isInternal
            let what = "attach container \"\(container)\" to network \"\(name)\" as \(cidr)"
            try connect(what, hostVeth: hostVeth) { netlink in
                try netlink.attachContainer(
                    netnsPath: netnsPath, bridge: network.bridge, hostVethName: hostVeth, containerIfName: interface,
                    address: cidr, gateway: network.gateway, defaultRoute: route, hardwareAddress: hardwareAddress)
            }
            let endpoint = NetworkEndpoint(
                container: container, netnsPath: netnsPath, interface: interface, address: cidr, hostVeth: hostVeth,
                hasDefaultRoute: route)
            network.endpoints.append(endpoint)
            network.endpoints.sort { $0.address.address < $1.address.address }
            var next = networks
            next[name] = network
            do throws(BerthError) {
                try stateFile.save(Array(next.values))
            } catch {
                try? netlink.deleteLink(hostVeth)
                throw error
            }
            networks = next
            return endpoint
        }
    }

    /// Takes the namespace at `netnsPath` off the network and frees its
    /// address. The veth may be gone already (deleting a namespace deletes
    /// its end, and the pair dies whole): that is not an error. With
    /// `deleteLink: false` (the caller has just deleted the namespace) the
    /// pair is left to the kernel, which takes it down with the namespace,
    /// batched and off our path: deleting each veth here costs 18-48 ms of
    /// RCU waits, one after another, most of a 20-container `down`. A name
    /// reused before the kernel is done is handled by `attach`'s retry.
    public func detach(_ name: NetworkName, netnsPath: String, deleteLink: Bool = true) async throws(BerthError) {
        try await exclusively { () async throws(BerthError) in
            guard var network = networks[name] else { throw BerthError(.notFound, "network \"\(name)\" not found") }
            guard let index = network.endpoints.firstIndex(where: { $0.netnsPath == netnsPath }) else {
                throw BerthError(.notFound, "no container of network \"\(name)\" has the namespace \(netnsPath)")
            }
            let endpoint = network.endpoints[index]
            if deleteLink {
                try await self.deleteLink(
                    endpoint.hostVeth, "detach container \"\(endpoint.container)\" from network \"\(name)\"")
            }
            network.endpoints.remove(at: index)
            var next = networks
            next[name] = network
            try stateFile.save(Array(next.values))
            networks = next
        }
    }

    /// After a reboot (bridges and rules are not persistent, the state file
    /// is): recreates each recorded network's missing bridge and rewrites
    /// the table. Endpoints are left to the reconciler, which re-attaches
    /// the containers it restarts.
    public func restore() async throws(BerthError) {
        try await exclusively { () async throws(BerthError) in
            for network in networks.values.sorted(by: { $0.name < $1.name }) {
                let exists: Bool
                do { exists = try netlink.linkIndex(of: network.bridge) != nil } catch {
                    throw BerthError(
                        .host, "look up bridge \"\(network.bridge)\" of network \"\(network.name)\"", wrapping: error)
                }
                if !exists { try await makeBridge(for: network) }
                if !network.isInternal { try HostForwarding.enable() }
            }
            try await applyFirewall(networks)
        }
    }
}
