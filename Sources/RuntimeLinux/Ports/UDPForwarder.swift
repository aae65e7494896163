import NIOCore
import NIOPosix

/// UDP: one listening socket on the host; per client address, a flow: a
/// socket connected to the container, so its replies come back on that
/// socket alone and go out of the listener to that client. A flow closes
/// after `udpIdleTimeout` with no datagram either way (UDP has no end).
enum UDPForwarder {
    /// The largest UDP payload over IPv4; the default receive buffer of a
    /// NIO datagram channel (2 KiB) would truncate bigger datagrams.
    static let maximumDatagram = 65_507
    /// Flows one port may hold: each is a socket, and a flood of datagrams
    /// from spoofed source addresses must not exhaust berthd's descriptors.
    /// Datagrams of further new clients are dropped until flows expire.
    static let maximumFlows = 4096

    /// Binds `address` and starts forwarding; returns the listening channel.
    static func listen(
        on address: SocketAddress, to target: SocketAddress, group: any EventLoopGroup, options: PortProxyOptions
    ) async throws -> any Channel {
        // No SO_REUSEADDR here: on UDP it would let a second socket bind the
        // same port, and "already in use" would go unnoticed.
        let bootstrap = DatagramBootstrap(group: group)
        if address.protocol == .inet6 { _ = bootstrap.channelOption(TCPForwarder.v6Only, value: 1) }
        return
            try await bootstrap
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maximumDatagram))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FlowTable(target: target, idleTimeout: options.udpIdleTimeout))
                }
            }
            .bind(to: address)
            .get()
    }
}

/// The listener's handler: client address → flow.
final class FlowTable: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    /// One client's flow. Datagrams that arrive while its socket connects
    /// wait in `pending` (a few; UDP may drop, a burst should not).
    final class Flow {
        var channel: (any Channel)?
        var pending: [ByteBuffer] = []
        var lastActive: NIODeadline

        init(now: NIODeadline) { lastActive = now }
    }

    private let target: SocketAddress
    private let idleTimeout: TimeAmount
    private var flows: [SocketAddress: Flow] = [:]
    private var sweeper: RepeatedTask?
    private var listener: (any Channel)?

    init(target: SocketAddress, idleTimeout: TimeAmount) {
        self.target = target
        self.idleTimeout = idleTimeout
    }

    /// Flows open now (tests watch them expire).
    var count: Int { flows.count }

    func channelActive(context: ChannelHandlerContext) {
        listener = context.channel
        // Sweeping four times per timeout closes an idle flow within 1.25
        // timeouts, with one timer per port instead of one per flow.
        let period = TimeAmount.nanoseconds(max(idleTimeout.nanoseconds / 4, 1_000_000))
        let table = NIOLoopBound(self, eventLoop: context.eventLoop)
        sweeper = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            table.value.sweep()
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sweeper?.cancel()
        sweeper = nil
        for flow in flows.values { flow.channel?.close(promise: nil) }
        flows.removeAll()
        listener = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let client = envelope.remoteAddress
        if let flow = flows[client] {
            flow.lastActive = .now()
            if let channel = flow.channel {
                channel.writeAndFlush(envelope.data, promise: nil)
            } else if flow.pending.count < 64 {
                flow.pending.append(envelope.data)
            }
            return
        }
        guard flows.count < UDPForwarder.maximumFlows else { return }
        let flow = Flow(now: .now())
        flow.pending.append(envelope.data)
        flows[client] = flow
        open(flow, for: client, on: context.eventLoop)
    }

    /// Connects the flow's socket to the container, on the listener's loop
    /// so that the table is only ever touched from there.
    private func open(_ flow: Flow, for client: SocketAddress, on loop: any EventLoop) {
        let table = NIOLoopBound(self, eventLoop: loop)
        let boundFlow = NIOLoopBound(flow, eventLoop: loop)
        DatagramBootstrap(group: loop)
            .channelOption(
                .recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: UDPForwarder.maximumDatagram)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FlowReplies(table: table.value, flow: boundFlow.value, client: client))
                }
            }
            .connect(to: target)
            .hop(to: loop)
            .whenComplete { result in
                let table = table.value
                let flow = boundFlow.value
                switch result {
                case .success(let channel):
                    // The listener may have closed, or the flow expired, meanwhile.
                    guard table.listener != nil, table.flows[client] === flow else {
                        channel.close(promise: nil)
                        return
                    }
                    flow.channel = channel
                    for datagram in flow.pending { channel.write(datagram, promise: nil) }
                    flow.pending.removeAll()
                    channel.flush()
                case .failure:
                    if table.flows[client] === flow { table.flows[client] = nil }
                }
            }
    }

    /// A reply from the container: back to the client, from the listener.
    fileprivate func reply(_ data: ByteBuffer, to client: SocketAddress, flow: Flow) {
        flow.lastActive = .now()
        listener?.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: data), promise: nil)
    }

    /// The flow's socket closed (an ICMP error, or the sweep).
    fileprivate func closed(_ flow: Flow, for client: SocketAddress) {
        if flows[client] === flow { flows[client] = nil }
    }

    private func sweep() {
        let now = NIODeadline.now()
        for (client, flow) in flows where flow.channel != nil && now - flow.lastActive >= idleTimeout {
            flows[client] = nil
            flow.channel?.close(promise: nil)
        }
    }
}

/// The flow socket's handler: replies go back through the table.
private final class FlowReplies: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let table: FlowTable
    private let flow: FlowTable.Flow
    private let client: SocketAddress

    init(table: FlowTable, flow: FlowTable.Flow, client: SocketAddress) {
        self.table = table
        self.flow = flow
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        table.reply(unwrapInboundIn(data).data, to: client, flow: flow)
    }

    func channelInactive(context: ChannelHandlerContext) {
        table.closed(flow, for: client)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ECONNREFUSED from an ICMP port-unreachable: nothing listens in the
        // container (yet). Drop the flow; the client's next datagram opens
        // a new one, as a retry should.
        context.close(promise: nil)
    }
}
