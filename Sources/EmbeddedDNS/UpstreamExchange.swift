import NIOCore
import NIOPosix

/// One query sent to one upstream and its reply awaited, over UDP or TCP:
/// the NIO plumbing under `ForwardingResolver`.
enum UpstreamExchange {
    /// What a reply must carry to be taken as the answer to our query.
    struct Expectation: Sendable {
        let id: UInt16
        let question: DNSQuestion

        /// True for a well-formed reply with our id and question. Anything
        /// else on the socket is ignored (not failed on), so a stray or
        /// forged datagram cannot cut the wait for the real reply short.
        func matches(_ reply: ByteBuffer) -> Bool {
            guard let message = try? DNSMessage.decodeHeaderAndQuestions(reply) else { return false }
            return message.isResponse && message.id == id && message.questions == [question]
        }
    }

    /// Sends `query` from a fresh connected UDP socket and waits for a
    /// matching reply until `deadline`.
    static func udp(
        _ query: ByteBuffer, expecting expected: Expectation, to upstream: SocketAddress, deadline: NIODeadline,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ByteBuffer> {
        let promise = eventLoop.makePromise(of: ByteBuffer.self)
        DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ReplyHandler<AddressedEnvelope<ByteBuffer>>(
                            expected: expected, promise: promise, payload: \.data))
                }
            }
            .connect(to: upstream)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    watch(channel, promise: promise, deadline: deadline, upstream: upstream)
                    channel.writeAndFlush(query).cascadeFailure(to: promise)
                case .failure(let error):
                    promise.fail(error)
                }
            }
        return promise.futureResult
    }

    /// Sends `query` over a new TCP connection, framed with its length, and
    /// waits for a matching reply until `deadline`.
    static func tcp(
        _ query: ByteBuffer, expecting expected: Expectation, to upstream: SocketAddress, deadline: NIODeadline,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ByteBuffer> {
        let promise = eventLoop.makePromise(of: ByteBuffer.self)
        ClientBootstrap(group: eventLoop)
            .connectTimeout(max(deadline - .now(), .milliseconds(1)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        ReplyHandler<ByteBuffer>(expected: expected, promise: promise, payload: \.self))
                }
            }
            .connect(to: upstream)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    watch(channel, promise: promise, deadline: deadline, upstream: upstream)
                    var framed = channel.allocator.buffer(capacity: query.readableBytes + 2)
                    framed.writeInteger(UInt16(truncatingIfNeeded: query.readableBytes))
                    framed.writeImmutableBuffer(query)
                    channel.writeAndFlush(framed).cascadeFailure(to: promise)
                case .failure(let error):
                    promise.fail(error)
                }
            }
        return promise.futureResult
    }

    /// Fails `promise` at `deadline` and closes `channel` once it completes
    /// either way, so no socket outlives its query.
    private static func watch(
        _ channel: any Channel, promise: EventLoopPromise<ByteBuffer>, deadline: NIODeadline, upstream: SocketAddress
    ) {
        let timeout = channel.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(DNSError(.dnsServer, "waiting for DNS upstream \(upstream): no reply before the timeout"))
        }
        promise.futureResult.whenComplete { _ in
            timeout.cancel()
            channel.close(promise: nil)
        }
    }
}

/// Completes a promise with the first inbound message that `Expectation`
/// accepts, or fails it on a socket error (an ICMP "port unreachable" on a
/// connected UDP socket arrives as one) or when the channel closes first.
final class ReplyHandler<Inbound>: ChannelInboundHandler {
    typealias InboundIn = Inbound

    private let expected: UpstreamExchange.Expectation
    private let promise: EventLoopPromise<ByteBuffer>
    private let payload: (Inbound) -> ByteBuffer

    init(
        expected: UpstreamExchange.Expectation, promise: EventLoopPromise<ByteBuffer>,
        payload: @escaping (Inbound) -> ByteBuffer
    ) {
        self.expected = expected
        self.promise = promise
        self.payload = payload
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = payload(unwrapInboundIn(data))
        if expected.matches(reply) { promise.succeed(reply) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}

/// Splits a TCP stream into DNS messages by their two-byte length prefix
/// (RFC 1035 §4.2.2); each message is emitted without its prefix.
struct DNSFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        guard let frame = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }
}
