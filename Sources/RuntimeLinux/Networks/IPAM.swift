import BerthModel
import HostOS

/// A route the host has, with its interface's name for error messages.
struct HostRoute: Hashable, Sendable {
    /// Where it leads.
    var destination: IPv4CIDR
    /// The interface it goes out of, when the kernel said.
    var interface: String?
}

/// Address management as pure functions over the facts: which subnet a new
/// network gets and which address a new endpoint gets. `BridgeNetworks`
/// gathers the facts (the host's routes, the existing networks) and acts on
/// the answers; tests call these directly, without root.
enum IPAM {
    /// A network's addressing, decided.
    struct Addressing: Hashable, Sendable {
        var subnet: IPv4CIDR
        var gateway: IPv4
        var ipRange: IPv4CIDR?
    }

    /// The subnet, gateway and range for `request`: what it names, checked,
    /// or else the first block of the pools that neither a host route nor
    /// another network touches.
    ///
    /// A subnet given explicitly that overlaps something is an error naming
    /// both, rather than a silent pick elsewhere: the compose file asked for
    /// those addresses, and a container on an overlapping subnet would route
    /// some of its traffic to the wrong place.
    static func addressing(
        for request: NetworkRequest, pools: [AddressPool], routes: [HostRoute], networks: [BridgeNetwork]
    ) throws(BerthError) -> Addressing {
        let name = request.name
        guard let subnet = request.subnet else {
            if let gateway = request.gateway {
                throw BerthError(.invalidArgument, "gateway \(gateway) of network \"\(name)\" needs a subnet")
            }
            if let range = request.ipRange {
                throw BerthError(.invalidArgument, "ip_range \(range) of network \"\(name)\" needs a subnet")
            }
            return try fromPools(pools, for: name, routes: routes, networks: networks)
        }
        guard subnet.network == subnet else {
            throw BerthError(
                .invalidArgument,
                "invalid subnet \(subnet) of network \"\(name)\": host bits set, it should be \(subnet.network)")
        }
        guard subnet.prefixLength <= 30 else {
            throw BerthError(
                .invalidArgument,
                "invalid subnet \(subnet) of network \"\(name)\": no room for a gateway and a container")
        }
        let gateway = request.gateway ?? IPv4(subnet.address.value + 1)
        if let problem = hostProblem(gateway, in: subnet) {
            throw BerthError(.invalidArgument, "invalid gateway \(gateway) of network \"\(name)\": \(problem)")
        }
        if let range = request.ipRange {
            guard range.network == range else {
                throw BerthError(
                    .invalidArgument,
                    "invalid ip_range \(range) of network \"\(name)\": host bits set, it should be \(range.network)")
            }
            guard range.prefixLength >= subnet.prefixLength, subnet.contains(range.address) else {
                throw BerthError(
                    .invalidArgument, "ip_range \(range) of network \"\(name)\" is outside its subnet \(subnet)")
            }
        }
        if let other = networks.first(where: { $0.subnet.overlaps(subnet) }) {
            throw BerthError(
                .overlap,
                "subnet \(subnet) of network \"\(name)\" overlaps \(other.subnet) of network \"\(other.name)\"")
        }
        if let route = routes.first(where: { $0.destination.prefixLength > 0 && $0.destination.overlaps(subnet) }) {
            let via = route.interface.map { " via \"\($0)\"" } ?? ""
            throw BerthError(
                .overlap,
                "subnet \(subnet) of network \"\(name)\" overlaps \(route.destination), routed on the host\(via)")
        }
        return Addressing(subnet: subnet, gateway: gateway, ipRange: request.ipRange)
    }

    /// The first block of the first pool with one free. The default route
    /// (prefix 0) overlaps everything and is skipped, as docker does.
    static func fromPools(
        _ pools: [AddressPool], for name: NetworkName, routes: [HostRoute], networks: [BridgeNetwork]
    ) throws(BerthError) -> Addressing {
        let taken = routes.map(\.destination).filter { $0.prefixLength > 0 } + networks.map(\.subnet)
        for pool in pools {
            if let subnet = pool.firstBlock(where: { block in !taken.contains { $0.overlaps(block) } }) {
                return Addressing(subnet: subnet, gateway: IPv4(subnet.address.value + 1), ipRange: nil)
            }
        }
        let described = pools.map(\.description).joined(separator: ", ")
        throw BerthError(
            .exhausted,
            "no free subnet left for network \"\(name)\" in the address pool \(described): every block is routed on the host or used by another network"
        )
    }

    /// The address for a new endpoint of `network`: `requested` when it is a
    /// usable host of the subnet that no one holds, or else the lowest free
    /// host of the ip_range (or of the subnet).
    static func address(
        _ requested: IPv4?, for container: String, in network: BridgeNetwork
    ) throws(BerthError) -> IPv4 {
        let subnet = network.subnet
        var holders: [IPv4: String] = [:]
        for endpoint in network.endpoints { holders[endpoint.address.address] = endpoint.container }
        if let requested {
            if let problem = hostProblem(requested, in: subnet) {
                throw BerthError(
                    .invalidArgument,
                    "address \(requested) for container \"\(container)\" on network \"\(network.name)\": \(problem)")
            }
            if requested == network.gateway {
                throw BerthError(
                    .addressTaken,
                    "address \(requested) for container \"\(container)\" is the gateway of network \"\(network.name)\"")
            }
            if let holder = holders[requested] {
                throw BerthError(
                    .addressTaken,
                    "address \(requested) on network \"\(network.name)\" is already in use by container \"\(holder)\"")
            }
            return requested
        }
        let range = network.ipRange ?? subnet
        let first = range.network.address.value
        let last = range.broadcast.value
        var candidate = first
        while true {
            let address = IPv4(candidate)
            if address != network.gateway, holders[address] == nil, hostProblem(address, in: subnet) == nil {
                return address
            }
            if candidate == last { break }
            candidate += 1
        }
        throw BerthError(
            .exhausted,
            "no free address left in \(range) on network \"\(network.name)\" for container \"\(container)\" (\(holders.count) in use)"
        )
    }

    /// Why `address` cannot be a host of `subnet`, or nil when it can: it
    /// must lie inside and be neither the network nor the broadcast address.
    static func hostProblem(_ address: IPv4, in subnet: IPv4CIDR) -> String? {
        if !subnet.contains(address) { return "outside the subnet \(subnet)" }
        if address == subnet.network.address { return "the network address of \(subnet)" }
        if address == subnet.broadcast { return "the broadcast address of \(subnet)" }
        return nil
    }
}
