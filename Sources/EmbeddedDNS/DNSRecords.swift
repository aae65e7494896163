import NIOCore
import Synchronization

/// The names the embedded DNS answers, per network: service names (every
/// replica's address), container names and aliases, each with its IPv4
/// addresses. The daemon writes it as networks and containers come and go;
/// the server reads it on every query.
///
/// Each network has a subnet, and a query sees only the networks whose subnet
/// holds its source address: a container on `172.30.1.0/24` resolves the
/// names of that network and no other, as with docker's embedded DNS.
///
/// A lock guards one immutable snapshot; a reader takes the snapshot (a
/// reference-count bump) and looks up without holding the lock, so the hot
/// path never waits on a writer for longer than that and never leaves the
/// event loop, which an `actor` hop per query would. Writers build a new
/// snapshot; they are rare (a container starts or stops).
public final class DNSRecords: Sendable {
    /// One network's table, with the reverse map for PTR answers built once
    /// at `set` rather than on every query. A class, so that walking the
    /// snapshot costs one reference count per network, not one per field.
    final class Network: Sendable {
        let id: String
        let subnet: IPv4Subnet
        let names: [DNSName: [IPv4Address]]
        let reverse: [IPv4Address: DNSName]

        init(id: String, subnet: IPv4Subnet, names: [DNSName: [IPv4Address]], reverse: [IPv4Address: DNSName]) {
            self.id = id
            self.subnet = subnet
            self.names = names
            self.reverse = reverse
        }
    }

    /// Every network, sorted by id so that answers do not depend on
    /// dictionary order. Most hosts have a handful of networks: a scan of
    /// their subnets beats an index.
    private let networks = Mutex<[Network]>([])
    /// Addresses that see more networks than the one their subnet is in: a
    /// container on several networks asks from one of its addresses and
    /// resolves the names of all of them, as with docker.
    private let memberships = Mutex<[IPv4Address: Set<String>]>([:])

    /// A container's own upstream servers (compose `dns:`), by each of
    /// its addresses: its queries for other names go there instead of to
    /// the host's resolvers, as docker's embedded DNS forwards them.
    private let clientUpstreams = Mutex<[IPv4Address: [SocketAddress]]>([:])

    /// An empty table.
    public init() {}

    /// Replaces every container's own upstream servers, by address.
    public func setClientUpstreams(_ upstreams: [IPv4Address: [SocketAddress]]) {
        clientUpstreams.withLock { $0 = upstreams }
    }

    /// The upstream servers of the container a query came from; nil: the host's.
    public func upstreams(for source: SocketAddress) -> [SocketAddress]? {
        guard let address = IPv4Address(source) else { return nil }
        return clientUpstreams.withLock { $0[address] }
    }

    /// Replaces the names of `network` (whose subnet is `subnet`) with
    /// `records`. Names are matched without regard to case or a trailing dot.
    ///
    /// The PTR answer for an address is the name that maps to the fewest
    /// addresses, then the longest, then the first alphabetically: a
    /// container's own name (`shop-web-1`, one address) wins over its service
    /// name (`web`, every replica), which is what docker answers.
    public func set(network: String, subnet: IPv4Subnet, records: [DNSName: [IPv4Address]]) {
        var reverse: [IPv4Address: DNSName] = [:]
        for (name, addresses) in records {
            for address in addresses {
                guard let current = reverse[address] else {
                    reverse[address] = name
                    continue
                }
                if Self.preferredForPTR(name, addresses.count, over: current, records[current]?.count ?? 0) {
                    reverse[address] = name
                }
            }
        }
        let entry = Network(id: network, subnet: subnet, names: records, reverse: reverse)
        networks.withLock { networks in
            networks.removeAll { $0.id == network }
            networks.append(entry)
            networks.sort { $0.id < $1.id }
        }
    }

    /// Parses each name and replaces the names of `network`, like
    /// `set(network:subnet:records:)` with `DNSName` keys. Throws, changing
    /// nothing, when a name is not a valid DNS name.
    public func set(network: String, subnet: IPv4Subnet, records: [String: [IPv4Address]]) throws(DNSError) {
        var parsed: [DNSName: [IPv4Address]] = [:]
        for (text, addresses) in records {
            let name: DNSName
            do {
                name = try DNSName(text)
            } catch {
                throw DNSError(.invalidArgument, "setting DNS records of network \(network): \(error.message)")
            }
            // `web` and `web.` are the same name; keep every address of both.
            parsed[name, default: []].append(contentsOf: addresses)
        }
        set(network: network, subnet: subnet, records: parsed)
    }

    /// Replaces the memberships: each address (a container's, on one of its
    /// networks) with the ids of every network its container is on.
    public func setMemberships(_ joined: [IPv4Address: Set<String>]) {
        memberships.withLock { $0 = joined }
    }

    /// The networks a query from `source` sees: those whose subnet holds it,
    /// and those its container is on besides.
    private func visible(from source: IPv4Address) -> VisibleNetworks {
        VisibleNetworks(all: networks.withLock { $0 }, joined: memberships.withLock { $0[source] }, source: source)
    }

    /// `visible(from:)`'s networks, found as they are walked: a filtered
    /// array would cost an allocation on every query.
    struct VisibleNetworks: Sequence, IteratorProtocol {
        let all: [Network]
        let joined: Set<String>?
        let source: IPv4Address
        var index = 0

        init(all: [Network], joined: Set<String>?, source: IPv4Address) {
            self.all = all
            self.joined = joined
            self.source = source
        }

        mutating func next() -> Network? {
            while index < all.count {
                let network = all[index]
                index += 1
                if network.subnet.contains(source) || joined?.contains(network.id) == true { return network }
            }
            return nil
        }
    }

    /// Forgets `network` and every name on it; nothing happens if it is unknown.
    public func remove(network: String) {
        networks.withLock { $0.removeAll { $0.id == network } }
    }

    /// The ids of the networks the table holds, sorted.
    public var networkIDs: [String] {
        networks.withLock { $0.map(\.id) }
    }

    /// The addresses of `name` on the networks `source` sees: nil when no such
    /// network has the name, an empty array when it has the name with no
    /// address. Several networks' addresses are merged, each once.
    public func addresses(of name: DNSName, from source: IPv4Address) -> [IPv4Address]? {
        var found: [IPv4Address]?
        for network in visible(from: source) {
            guard let addresses = network.names[name] else { continue }
            guard var merged = found else {
                found = addresses
                continue
            }
            for address in addresses where !merged.contains(address) { merged.append(address) }
            found = merged
        }
        return found
    }

    /// What a reverse lookup of `address` from `source` finds.
    public enum ReverseResult: Equatable, Sendable {
        /// The address belongs to a container on one of the asker's networks.
        case name(DNSName)
        /// The address lies in one of the asker's subnets but nothing holds
        /// it: the answer is NXDOMAIN, not a question for the host's resolvers.
        case unassigned
        /// The address is outside the asker's networks.
        case outside
    }

    /// The name for `address` as seen from `source` (see `ReverseResult`).
    public func name(for address: IPv4Address, from source: IPv4Address) -> ReverseResult {
        var inside = false
        for network in visible(from: source) {
            if let name = network.reverse[address] { return .name(name) }
            if network.subnet.contains(address) { inside = true }
        }
        return inside ? .unassigned : .outside
    }

    private static func preferredForPTR(_ name: DNSName, _ count: Int, over current: DNSName, _ currentCount: Int)
        -> Bool
    {
        if count != currentCount { return count < currentCount }
        if name.wire.count != current.wire.count { return name.wire.count > current.wire.count }
        return name.description.lowercased() < current.description.lowercased()
    }
}
