import BerthModel
import HostOS

/// What `BridgeNetworks.create` is asked for: compose's `networks.<name>`
/// with the bridge driver, after the loader has prefixed the project.
public struct NetworkRequest: Hashable, Sendable {
    /// `<project>_<network>`.
    public var name: NetworkName
    /// `ipam.config[0].subnet`; nil takes the next free subnet of the pool.
    public var subnet: IPv4CIDR?
    /// `ipam.config[0].gateway`; nil is the subnet's first host. Needs a subnet.
    public var gateway: IPv4?
    /// `ipam.config[0].ip_range`: where dynamic addresses come from (static
    /// ones may lie anywhere in the subnet, as with docker). Needs a subnet.
    public var ipRange: IPv4CIDR?
    /// `internal: true`: no masquerade, no default route, nothing forwarded
    /// in or out; the containers still reach each other and the gateway
    /// address (where the embedded DNS answers).
    public var isInternal: Bool
    /// Labels kept with the network (compose's `com.docker.compose.*`).
    public var labels: [String: String]

    /// A request; everything but the name is optional.
    public init(
        name: NetworkName, subnet: IPv4CIDR? = nil, gateway: IPv4? = nil, ipRange: IPv4CIDR? = nil,
        isInternal: Bool = false, labels: [String: String] = [:]
    ) {
        self.name = name
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.isInternal = isInternal
        self.labels = labels
    }
}

/// A network as it exists: its bridge, its addressing and who is on it.
public struct BridgeNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The compose-level name.
    public var name: NetworkName
    /// The Linux bridge, `<prefix><hash of name>`.
    public var bridge: InterfaceName
    /// The subnet, host bits clear.
    public var subnet: IPv4CIDR
    /// The bridge's own address; containers route through it.
    public var gateway: IPv4
    /// Where dynamic addresses come from; nil is the whole subnet.
    public var ipRange: IPv4CIDR?
    /// See `NetworkRequest.isInternal`.
    public var isInternal: Bool
    /// The labels it was created with.
    public var labels: [String: String]
    /// The attached containers, by address.
    public var endpoints: [NetworkEndpoint]

    /// A network record.
    public init(
        name: NetworkName, bridge: InterfaceName, subnet: IPv4CIDR, gateway: IPv4, ipRange: IPv4CIDR?,
        isInternal: Bool, labels: [String: String] = [:], endpoints: [NetworkEndpoint] = []
    ) {
        self.name = name
        self.bridge = bridge
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.isInternal = isInternal
        self.labels = labels
        self.endpoints = endpoints
    }

    /// `shop_backend on berth1a2b3c4d5e 172.30.0.0/24 gw 172.30.0.1`.
    public var description: String {
        "\(name) on \(bridge) \(subnet) gw \(gateway)" + (isInternal ? " internal" : "")
    }
}

/// One container's place on a network.
public struct NetworkEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The container's name, for messages (`in use by container "shop-web-1"`).
    public var container: String
    /// Its network namespace file; one endpoint per namespace and network.
    public var netnsPath: String
    /// The interface inside (`eth0`, `eth1`, …).
    public var interface: InterfaceName
    /// Its address, with the subnet's prefix length.
    public var address: IPv4CIDR
    /// The host end of its veth pair, on the bridge.
    public var hostVeth: InterfaceName
    /// Whether its default route goes through this network's gateway.
    public var hasDefaultRoute: Bool

    /// An endpoint record.
    public init(
        container: String, netnsPath: String, interface: InterfaceName, address: IPv4CIDR, hostVeth: InterfaceName,
        hasDefaultRoute: Bool
    ) {
        self.container = container
        self.netnsPath = netnsPath
        self.interface = interface
        self.address = address
        self.hostVeth = hostVeth
        self.hasDefaultRoute = hasDefaultRoute
    }

    /// `shop-web-1 eth0 172.30.0.2/24 via berth5f3e2a1b0c`.
    public var description: String { "\(container) \(interface) \(address) via \(hostVeth)" }
}

/// Where subnets come from when a network names none: `base` cut into
/// blocks of prefix length `size`, tried in order (172.30.0.0/16 by 24 gives
/// 172.30.0.0/24, 172.30.1.0/24, …).
public struct AddressPool: Hashable, Sendable, CustomStringConvertible {
    /// The range the blocks are cut from, host bits clear.
    public let base: IPv4CIDR
    /// The prefix length of each block.
    public let size: UInt8

    /// The pools used when the caller names none: 172.30.0.0/16 in /24s,
    /// 256 networks of 253 containers each, away from the 172.17–172.29
    /// range a docker daemon on the same host takes first.
    public static let defaults: [AddressPool] = [
        IPv4CIDR(address: IPv4(0xAC1E_0000), prefixLength: 16).flatMap { try? AddressPool(base: $0, size: 24) }
    ].compactMap { $0 }

    /// A pool, or an error when `size` cannot cut `base` into blocks with
    /// room for a gateway and a container (2 to 30, not shorter than base).
    public init(base: IPv4CIDR, size: UInt8) throws(BerthError) {
        guard base.network == base else {
            throw BerthError(
                .invalidArgument, "invalid address pool \(base): host bits set, it should be \(base.network)")
        }
        guard size >= base.prefixLength, size <= 30 else {
            throw BerthError(
                .invalidArgument,
                "invalid address pool \(base) by /\(size): blocks must be /\(base.prefixLength) to /30")
        }
        self.base = base
        self.size = size
    }

    /// The first block, in address order, that `isFree` accepts. Walks
    /// lazily: a /8 in /30s is four million blocks.
    func firstBlock(where isFree: (IPv4CIDR) -> Bool) -> IPv4CIDR? {
        let count = UInt64(1) << UInt64(size - base.prefixLength)
        let step = UInt64(1) << UInt64(32 - size)
        for index in 0..<count {
            let value = UInt32(truncatingIfNeeded: UInt64(base.address.value) + index * step)
            guard let block = IPv4CIDR(address: IPv4(value), prefixLength: size) else { continue }
            if isFree(block) { return block }
        }
        return nil
    }

    /// `10.213.8.0/22 by /24`.
    public var description: String { "\(base) by /\(size)" }
}
