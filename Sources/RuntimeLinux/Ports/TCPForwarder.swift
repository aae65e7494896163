import NIOCore
import NIOPosix
import Synchronization

/// The channels a listener has open, so that unpublishing a port ends its
/// connections too (as stopping docker-proxy does) instead of leaving them
/// to run on unowned. Once closed, the set closes whatever is added late: a
/// connect to the container that completes after the unpublish.
final class OpenChannels: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Tracks `channel` until it closes.
    func insert(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let accepted = state.withLock { state in
            if state.closed { return false }
            state.channels[key] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.channels.removeValue(forKey: key) }
        }
    }

    /// How many are open.
    var count: Int { state.withLock { $0.channels.count } }

    /// Closes them all, and any added later, and waits until they are closed.
    func closeAll() async {
        let open = state.withLock { state in
            state.closed = true
            return Array(state.channels.values)
        }
        for channel in open { try? await channel.close() }
    }
}

/// Tuning of the proxy's sockets; the defaults are berthd's.
public struct PortProxyOptions: Sendable {
    /// How long a TCP connect to the container may take.
    public var connectTimeout: TimeAmount
    /// How long a UDP flow lives without a datagram either way (docker's
    /// proxy uses 90 s, like conntrack's UDP stream timeout).
    public var udpIdleTimeout: TimeAmount
    /// The accept queue: `up` followed by a burst of clients must not see
    /// refused connections (the kernel caps it at net.core.somaxconn).
    public var backlog: Int32
    /// Bytes queued for one side before reading from the other pauses.
    public var highWaterMark: Int

    /// Options; see each property.
    public init(
        connectTimeout: TimeAmount = .seconds(10), udpIdleTimeout: TimeAmount = .seconds(90), backlog: Int32 = 4096,
        highWaterMark: Int = 1 << 20
    ) {
        self.connectTimeout = connectTimeout
        self.udpIdleTimeout = udpIdleTimeout
        self.backlog = backlog
        self.highWaterMark = highWaterMark
    }
}

/// TCP: a listener whose every accepted connection gets its own connection
/// to the container, spliced to it by a `GlueHandler` pair.
enum TCPForwarder {
    /// Binds `address` and starts accepting; returns the listening channel.
    /// IPV6_V6ONLY: a listener on `[::]` takes IPv6 only, and the IPv4 side
    /// stays the 0.0.0.0 listener's on the same port.
    static let v6Only = ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only)

    static func listen(
        on address: SocketAddress, to target: SocketAddress, group: any EventLoopGroup, options: PortProxyOptions,
        clients: OpenChannels, upstreams: OpenChannels
    ) async throws -> any Channel {
        let marks = ChannelOptions.Types.WriteBufferWaterMark(
            low: options.highWaterMark / 2, high: options.highWaterMark)
        // Reads grow up to 1 MiB while a stream keeps filling them (NIO's
        // default stops at 64 KiB): fewer system calls per byte moved, the
        // proxy's cost next to the kernel's copies. Measured with
        // scripts/bench/port-proxy.sh: 256 KiB gave 0.70-0.80 of a direct
        // connection's throughput, 1 MiB 0.77-0.78; an idle or chatty
        // connection stays at small buffers.
        let allocator = AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65_536, maximum: 1 << 20)
        let bootstrap = ServerBootstrap(group: group)
        if address.protocol == .inet6 { _ = bootstrap.serverChannelOption(Self.v6Only, value: 1) }
        return
            try await bootstrap
            .serverChannelOption(.backlog, value: options.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Nothing is read from the client until the container answers,
            // and then only as fast as the container takes it.
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // tcpOption, not socketOption: the latter is SOL_SOCKET, where
            // option 1 is SO_DEBUG, which needs CAP_NET_ADMIN.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: marks)
            .childChannelOption(.recvAllocator, value: allocator)
            .childChannelInitializer { inbound in
                clients.insert(inbound)
                return ClientBootstrap(group: inbound.eventLoop)
                    .connectTimeout(options.connectTimeout)
                    .channelOption(.autoRead, value: false)
                    .channelOption(.allowRemoteHalfClosure, value: true)
                    .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .channelOption(.writeBufferWaterMark, value: marks)
                    .channelOption(.recvAllocator, value: allocator)
                    .connect(to: target)
                    .flatMap { outbound in
                        upstreams.insert(outbound)
                        return splice(inbound, outbound)
                    }
            }
            .bind(to: address)
            .get()
    }

    /// Glues the accepted connection to the container's, then lets both
    /// read. Runs on their (shared) event loop, before NIO registers the
    /// accepted channel (it waits for the initializer), so nothing has been
    /// read from the client yet. When the connect failed, the initializer's
    /// failure makes NIO close the accepted connection: the client sees the
    /// same as from a container that refuses.
    private static func splice(_ inbound: any Channel, _ outbound: any Channel) -> EventLoopFuture<Void> {
        inbound.eventLoop.makeCompletedFuture {
            let (client, container) = GlueHandler.matchedPair()
            do {
                try inbound.pipeline.syncOperations.addHandler(client)
                try outbound.pipeline.syncOperations.addHandler(container)
            } catch {
                outbound.close(promise: nil)
                throw error
            }
            inbound.setOption(.autoRead, value: true).whenFailure { _ in inbound.close(promise: nil) }
            outbound.setOption(.autoRead, value: true).whenFailure { _ in outbound.close(promise: nil) }
        }
    }
}
