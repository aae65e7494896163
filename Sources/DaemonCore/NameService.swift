import EmbeddedDNS
import Logging
import NIOCore
import RuntimeKit
import ServiceLifecycle

/// The embedded DNS as berthd hosts it: one server, a listener on each
/// network's gateway at port 53, and the names of each network rebuilt
/// from one runtime snapshot whenever containers come and go.
///
/// A container answers on a network to its container name, its service
/// name (every replica) and its aliases there, while it is created or
/// running; an exited container's names go, as with docker.
///
/// As a `Service`: `start` it first, then `run` follows the runtime's
/// events until graceful shutdown, and stops listening.
public actor NameService: Service {
    let server: DNSServer
    let records: DNSRecords
    let runtime: any ContainerRuntime
    let port: Int
    let logger: Logger
    /// Network name → the gateway address listened on.
    var listeners: [String: SocketAddress] = [:]
    var refreshing = false
    var dirty = false
    /// The runtime's events from `start` on, which `run` follows.
    var events: AsyncStream<RuntimeEvent>?

    /// A name service over `runtime`, forwarding other names to `upstreams`;
    /// `port` is 53 except in tests.
    public init(runtime: any ContainerRuntime, upstreams: [SocketAddress], port: Int = 53, logger: Logger) {
        let records = DNSRecords()
        var configuration = DNSServer.Configuration(records: records, upstreams: upstreams)
        configuration.logger = logger
        self.records = records
        self.server = DNSServer(configuration: configuration)
        self.runtime = runtime
        self.port = port
        self.logger = logger
    }

    /// Starts the server (with no listener yet) and builds the tables; the
    /// runtime's events from now on are kept for `run`.
    public func start() async throws {
        try await server.start(addresses: [])
        events = await runtime.events()
        await refresh()
    }

    /// Rebuilds the tables whenever containers come and go, until graceful
    /// shutdown (or cancellation); then stops listening.
    public func run() async throws {
        if let events {
            for await event in events.cancelOnGracefulShutdown() {
                switch event.kind {
                case .create, .start, .die, .destroy: await refresh()
                case .kill, .stop, .pause, .unpause: continue
                }
            }
        }
        await shutdown()
    }

    /// Stops listening everywhere.
    public func shutdown() async {
        events = nil
        await server.shutdown()
        listeners = [:]
    }

    /// Rebuilds every network's names and listeners from one snapshot.
    /// Calls that arrive while one runs fold into one more run after it.
    public func refresh() async {
        if refreshing {
            dirty = true
            return
        }
        refreshing = true
        defer { refreshing = false }
        repeat {
            dirty = false
            await rebuild()
        } while dirty
    }

    /// Created or running: an exited container's names go.
    static func isLive(_ container: ContainerInfo) -> Bool {
        switch container.state {
        case .created, .running: return true
        case .exited, .dead: return false
        }
    }

    /// The names on one network: each live container's name, its service's
    /// name (every replica) and its aliases there, and the aliases of
    /// `links` (docker answers those for the linking container only; here
    /// every container on the network sees them).
    static func names(on network: String, containers: [ContainerInfo]) -> [String: [IPv4Address]] {
        var names: [String: [IPv4Address]] = [:]
        for container in containers where isLive(container) {
            guard let text = container.addresses[network], let address = IPv4Address(text) else { continue }
            var own = [container.name]
            if let service = container.labels[ComposeLabel.service], container.labels[ComposeLabel.oneoff] != "True" {
                own.append(service)
            }
            own += container.aliases[network] ?? []
            for name in Set(own) { names[name, default: []].append(address) }
        }
        // `links`: each alias answers with the linked service's addresses here.
        for container in containers where isLive(container) && container.addresses[network] != nil {
            guard let links = container.labels[BerthLabel.links] else { continue }
            let project = container.labels[ComposeLabel.project]
            for link in links.split(separator: ",") {
                let parts = link.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                for target in containers
                where isLive(target) && target.labels[ComposeLabel.project] == project
                    && target.labels[ComposeLabel.service] == parts[0] && target.labels[ComposeLabel.oneoff] != "True"
                {
                    guard let text = target.addresses[network], let address = IPv4Address(text) else { continue }
                    names[parts[1], default: []].append(address)
                }
            }
        }
        return names.mapValues { Array(Set($0)).sorted() }
    }

    /// Each live container's own DNS servers (`dns:`, port 53), by each of
    /// its addresses; a server that is not an IPv4 address is left out.
    static func clientUpstreams(_ containers: [ContainerInfo]) -> [IPv4Address: [SocketAddress]] {
        var upstreams: [IPv4Address: [SocketAddress]] = [:]
        for container in containers where isLive(container) {
            guard let servers = container.dnsServers, !servers.isEmpty else { continue }
            let addresses = servers.compactMap { try? SocketAddress(ipAddress: $0, port: 53) }
            for text in container.addresses.values {
                guard let address = IPv4Address(text) else { continue }
                upstreams[address] = addresses
            }
        }
        return upstreams
    }

    private func rebuild() async {
        let networks: [NetworkInfo]
        let containers: [ContainerInfo]
        do {
            networks = try await runtime.networks(matching: LabelFilter())
            containers = try await runtime.containers(matching: LabelFilter())
        } catch {
            logger.error("DNS: cannot read the runtime's networks and containers: \(error)")
            return
        }
        var seen: Set<String> = []
        for network in networks {
            guard let subnet = IPv4Subnet(network.subnet), let gateway = IPv4Address(network.gateway) else { continue }
            seen.insert(network.name)
            let names = Self.names(on: network.name, containers: containers)
            do {
                try records.set(network: network.name, subnet: subnet, records: names)
            } catch {
                logger.warning("DNS: network \(network.name): \(error)")
            }
            if listeners[network.name] == nil {
                do {
                    let address = try SocketAddress(ipAddress: gateway.description, port: port)
                    try await server.addListener(address)
                    listeners[network.name] = address
                } catch {
                    logger.error("DNS: cannot listen on \(gateway):\(port) for network \(network.name): \(error)")
                }
            }
        }
        // A container on several networks resolves the names of all of them.
        var joined: [IPv4Address: Set<String>] = [:]
        for container in containers where Self.isLive(container) && container.addresses.count > 1 {
            for text in container.addresses.values {
                guard let address = IPv4Address(text) else { continue }
                joined[address, default: []].formUnion(container.addresses.keys)
            }
        }
        records.setMemberships(joined)
        records.setClientUpstreams(Self.clientUpstreams(containers))
        for (name, address) in listeners where !seen.contains(name) {
            await server.removeListener(address)
            records.remove(network: name)
            listeners[name] = nil
        }
    }
}
