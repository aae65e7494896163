import BerthModel
import Glibc
import HostOS
import NIOCore
import NIOPosix
import Synchronization

/// The published-port proxy of berthd: for each `ports:` entry it listens
/// on the host and forwards to the container's address, TCP and UDP, in
/// user space on SwiftNIO. No iptables DNAT is involved, so it works the
/// same on every host and needs nothing but a bound socket.
///
/// Every publication is a listening channel plus the connections (TCP) or
/// flows (UDP) it has open; `unpublish` closes all of them.
@_spi(Components) public final class PortProxy: Sendable {
    private struct Listener: Sendable {
        var port: PublishedPort
        var channel: any Channel
        /// For a mapping on every address: the same port on `[::]`, as
        /// docker publishes it, so a client that resolves `localhost` to
        /// `::1` reaches it too. nil when the host has no IPv6 or the port
        /// is taken there.
        var ipv6: (any Channel)?
        /// Accepted TCP connections.
        var clients: OpenChannels
        /// Their connections to the container.
        var upstreams: OpenChannels
    }

    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let options: PortProxyOptions
    private let listeners = Mutex<[UInt64: Listener]>([:])
    private let nextID = Atomic<UInt64>(1)

    /// A proxy on `group`, or on its own event loops (one per core) when
    /// nil; those stop with `shutdown()`.
    public init(group: (any EventLoopGroup)? = nil, options: PortProxyOptions = PortProxyOptions()) {
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        self.ownsGroup = group == nil
        self.options = options
    }

    /// Everything published now, in publication order.
    public var published: [PublishedPort] {
        listeners.withLock { $0.values.map(\.port) }.sorted { $0.id < $1.id }
    }

    /// Listens on the mapping's host address and port and forwards to its
    /// target. A taken port fails (within 100 ms), naming address, port
    /// and protocol; connections and datagrams to a target that does not
    /// answer fail later, each on its own.
    public func publish(_ mapping: ProxyPortMapping) async throws(BerthError) -> PublishedPort {
        let listenAddress: SocketAddress
        let target: SocketAddress
        do {
            listenAddress = try SocketAddress(ipAddress: mapping.listenAddress, port: Int(mapping.hostPort ?? 0))
            target = try SocketAddress(ipAddress: mapping.targetIP.description, port: Int(mapping.targetPort))
        } catch {
            throw BerthError(.invalidArgument, "cannot publish \(mapping)", cause: BerthError.describe(error))
        }
        let clients = OpenChannels()
        let upstreams = OpenChannels()
        let channel: any Channel
        var attempt = 0
        while true {
            do {
                switch mapping.protocol {
                case .tcp:
                    channel = try await TCPForwarder.listen(
                        on: listenAddress, to: target, group: group, options: options, clients: clients,
                        upstreams: upstreams)
                case .udp:
                    channel = try await UDPForwarder.listen(
                        on: listenAddress, to: target, group: group, options: options)
                }
                break
            } catch let error as IOError where error.errnoCode == EADDRINUSE && attempt < 5 {
                // A port unpublished a moment ago can still be held by a
                // child process this one is spawning (crun, nft): between
                // fork and exec it has a copy of every descriptor, and
                // close-on-exec only lets go at the exec. Give it 100 ms
                // before calling the port taken.
                attempt += 1
                try? await Task.sleep(for: .milliseconds(20))
            } catch {
                throw Self.bindError(error, mapping)
            }
        }
        let port = PublishedPort(
            id: nextID.wrappingAdd(1, ordering: .relaxed).oldValue, mapping: mapping,
            hostPort: UInt16(clamping: channel.localAddress?.port ?? Int(mapping.hostPort ?? 0)))
        var ipv6: (any Channel)?
        if mapping.hostIP == nil, let address = try? SocketAddress(ipAddress: "::", port: Int(port.hostPort)) {
            // Best effort, as docker's: IPv4 clients are served either way.
            switch mapping.protocol {
            case .tcp:
                ipv6 = try? await TCPForwarder.listen(
                    on: address, to: target, group: group, options: options, clients: clients, upstreams: upstreams)
            case .udp:
                ipv6 = try? await UDPForwarder.listen(on: address, to: target, group: group, options: options)
            }
        }
        listeners.withLock {
            $0[port.id] = Listener(port: port, channel: channel, ipv6: ipv6, clients: clients, upstreams: upstreams)
        }
        return port
    }

    /// Publishes several mappings (a port range) all or nothing: when one
    /// fails, those already published are unpublished again.
    public func publish(_ mappings: [ProxyPortMapping]) async throws(BerthError) -> [PublishedPort] {
        var done: [PublishedPort] = []
        for mapping in mappings {
            do {
                done.append(try await publish(mapping))
            } catch {
                for port in done.reversed() { await unpublish(port) }
                throw error
            }
        }
        return done
    }

    /// Stops listening and closes the port's connections and flows. A port
    /// not (or no longer) published is ignored: teardown may repeat itself.
    public func unpublish(_ port: PublishedPort) async {
        guard let listener = listeners.withLock({ $0.removeValue(forKey: port.id) }) else { return }
        try? await listener.channel.close()
        try? await listener.ipv6?.close()
        await listener.clients.closeAll()
        await listener.upstreams.closeAll()
    }

    /// Unpublishes everything, then stops the event loops if they are ours.
    public func shutdown() async {
        for port in published { await unpublish(port) }
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    /// TCP connections open through `port` now.
    public func connectionCount(_ port: PublishedPort) -> Int {
        listeners.withLock { $0[port.id]?.clients.count } ?? 0
    }

    /// NIO's bind failure as a sentence: `port 8080/tcp on 0.0.0.0 is
    /// already in use`.
    private static func bindError(_ error: any Error, _ mapping: ProxyPortMapping) -> BerthError {
        let place = "port \(mapping.hostPort ?? 0)/\(mapping.protocol) on \(mapping.listenAddress)"
        guard let error = error as? IOError else {
            return BerthError(.bind, "cannot listen on \(place)", cause: BerthError.describe(error))
        }
        switch error.errnoCode {
        case EADDRINUSE:
            return BerthError(.inUse, "\(place) is already in use")
        case EADDRNOTAVAIL:
            return BerthError(
                .addressUnavailable,
                "cannot listen on \(place): \(mapping.listenAddress) is not an address of this host")
        default:
            return BerthError(.bind, "cannot listen on \(place)", cause: HostOSError.describe(errno: error.errnoCode))
        }
    }
}
