import Logging
import NIOCore
import NIOPosix

/// The embedded DNS server: UDP and TCP listeners on each network's gateway
/// address (port 53), answering through a resolver chain — the table of
/// container names first, then the host's resolvers.
///
/// Its lifecycle is `State`: idle until `start`, running with a set of
/// listeners that `addListener` and `removeListener` change as networks come
/// and go, shut down for good by `shutdown`.
public actor DNSServer {
    /// What the server answers and how.
    public struct Configuration: Sendable {
        /// The names it answers itself; the daemon updates it while running.
        public var records: DNSRecords
        /// Where other names go, in order (`ResolvConf.upstreams()` reads the
        /// host's). Empty: other names get NXDOMAIN.
        public var upstreams: [SocketAddress]
        /// How long each upstream gets per query before the next is asked.
        public var upstreamTimeout: TimeAmount = .seconds(2)
        /// The TTL of table answers (docker's embedded DNS uses 600 s).
        public var ttl: UInt32 = 600
        /// The largest UDP reply, however large a client's EDNS0 buffer: a
        /// local bridge does not fragment badly, and 4096 is the classic EDNS0 default.
        public var maxUDPPayloadSize = 4096
        /// TCP connections idle this long are closed.
        public var tcpIdleTimeout: TimeAmount = .seconds(10)
        /// Replaces the default chain (table, then forwarder or NXDOMAIN).
        public var resolver: (any DNSResolver)?
        /// The threads the listeners run on.
        public var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
        /// Where failures are logged.
        public var logger = Logger(label: "berth.dns")

        /// A configuration answering from `records` and forwarding the rest to `upstreams`.
        public init(records: DNSRecords, upstreams: [SocketAddress] = []) {
            self.records = records
            self.upstreams = upstreams
        }
    }

    /// One listening address: a UDP and a TCP socket on the same port.
    struct Listener {
        let requested: SocketAddress
        let bound: SocketAddress
        let udp: any Channel
        let tcp: any Channel
    }

    private enum State {
        case idle
        case running([Listener])
        case shutDown
    }

    let configuration: Configuration
    let responder: DNSResponder
    private var state = State.idle

    /// The table the server answers from (the configuration's).
    public nonisolated let records: DNSRecords

    /// A server that is not listening yet.
    public init(configuration: Configuration) {
        self.configuration = configuration
        records = configuration.records
        // Forwarding always: a container may have servers of its own (`dns:`)
        // when the host has none; without either, the name is unknown.
        let last: any DNSResolver = CompositeResolver([
            ForwardingResolver(
                upstreams: configuration.upstreams, timeout: configuration.upstreamTimeout,
                logger: configuration.logger, records: configuration.records),
            NameErrorResolver(),
        ])
        let resolver =
            configuration.resolver
            ?? CompositeResolver([TableResolver(records: configuration.records, ttl: configuration.ttl), last])
        responder = DNSResponder(
            resolver: resolver, recursionAvailable: !configuration.upstreams.isEmpty,
            maxUDPPayloadSize: max(512, configuration.maxUDPPayloadSize), logger: configuration.logger)
    }

    /// Starts listening on `addresses` and returns the bound addresses, in
    /// order (a port of 0 is replaced by the port chosen). If one cannot be
    /// bound, the ones already bound are closed, the server is idle again
    /// (so `start` may be retried) and the error is thrown.
    @discardableResult
    public func start(addresses: [SocketAddress]) async throws(DNSError) -> [SocketAddress] {
        switch state {
        case .idle: break
        case .running: throw DNSError(.dnsServer, "starting DNS server: it is already running")
        case .shutDown: throw DNSError(.dnsServer, "starting DNS server: it was shut down")
        }
        state = .running([])
        var bound: [SocketAddress] = []
        do {
            for address in addresses { bound.append(try await addListener(address)) }
        } catch {
            for address in bound { await removeListener(address) }
            if case .running(let listeners) = state, listeners.isEmpty { state = .idle }
            throw error
        }
        return bound
    }

    /// Listens on one more address (a new network's gateway) over UDP and
    /// TCP on the same port, and returns the bound address.
    @discardableResult
    public func addListener(_ address: SocketAddress) async throws(DNSError) -> SocketAddress {
        guard case .running = state else {
            throw DNSError(.dnsServer, "adding DNS listener \(address): server is not running")
        }
        let listener = try await bind(address)
        // The actor may have shut down while the sockets were being bound.
        guard case .running(var listeners) = state else {
            await Self.close(listener)
            throw DNSError(.dnsServer, "adding DNS listener \(address): server shut down meanwhile")
        }
        listeners.append(listener)
        state = .running(listeners)
        return listener.bound
    }

    /// Stops listening on `address` (as given to `addListener` or as bound);
    /// nothing happens when no listener has it.
    public func removeListener(_ address: SocketAddress) async {
        guard case .running(var listeners) = state else { return }
        let matching = listeners.filter { $0.requested == address || $0.bound == address }
        listeners.removeAll { $0.requested == address || $0.bound == address }
        state = .running(listeners)
        for listener in matching { await Self.close(listener) }
    }

    /// The addresses listened on, as bound.
    public var listeningAddresses: [SocketAddress] {
        guard case .running(let listeners) = state else { return [] }
        return listeners.map(\.bound)
    }

    /// Closes every listener; the server cannot be started again.
    public func shutdown() async {
        guard case .running(let listeners) = state else {
            state = .shutDown
            return
        }
        state = .shutDown
        for listener in listeners { await Self.close(listener) }
    }

    private static func close(_ listener: Listener) async {
        // Closing an already closed channel fails harmlessly; nothing to report.
        try? await listener.udp.close()
        try? await listener.tcp.close()
    }
}

extension DNSServer {
    /// How many times a port-0 listener retries when the UDP port chosen by
    /// the kernel is already taken for TCP.
    private static let ephemeralAttempts = 8

    /// Binds UDP, then TCP on the same port. With port 0 the kernel picks the
    /// UDP port, which may be busy on TCP; then both are tried again.
    func bind(_ address: SocketAddress) async throws(DNSError) -> Listener {
        var lastError: DNSError?
        for _ in 0..<(address.port == 0 ? Self.ephemeralAttempts : 1) {
            let udp = try await bindUDP(address)
            guard let bound = udp.localAddress else {
                try? await udp.close()
                throw DNSError(.dnsServer, "binding DNS listener \(address): UDP socket has no local address")
            }
            do {
                let tcp = try await bindTCP(bound)
                return Listener(requested: address, bound: bound, udp: udp, tcp: tcp)
            } catch {
                try? await udp.close()
                lastError = error
            }
        }
        throw lastError ?? DNSError(.dnsServer, "binding DNS listener \(address): no attempt made")
    }

    private func bindUDP(_ address: SocketAddress) async throws(DNSError) -> any Channel {
        let responder = self.responder
        let bootstrap = DatagramBootstrap(group: configuration.eventLoopGroup)
            // recvmmsg: up to 16 queries per system call under load, each in a
            // 4 KiB slice of one buffer (a query is far smaller).
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 * 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPQueryHandler(responder: responder))
                }
            }
        do {
            return try await bootstrap.bind(to: address).get()
        } catch {
            throw DNSError(.dnsServer, "binding DNS listener on UDP \(address)", cause: error)
        }
    }

    private func bindTCP(_ address: SocketAddress) async throws(DNSError) -> any Channel {
        let responder = self.responder
        let idle = configuration.tcpIdleTimeout
        let bootstrap = ServerBootstrap(group: configuration.eventLoopGroup)
            // A restarted berthd must rebind port 53 while old connections linger in TIME_WAIT.
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(allTimeout: idle))
                    try pipeline.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                    try pipeline.addHandler(TCPQueryHandler(responder: responder))
                }
            }
        do {
            return try await bootstrap.bind(to: address).get()
        } catch {
            throw DNSError(.dnsServer, "binding DNS listener on TCP \(address)", cause: error)
        }
    }
}
