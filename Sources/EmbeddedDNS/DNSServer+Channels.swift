import Logging
import NIOCore

/// Serves one UDP listener: each datagram is a query, each reply goes back
/// to its sender.
///
/// Replies that are ready at once (table answers) are written during the
/// read burst and flushed together in `channelReadComplete`, so NIO can send
/// a burst of replies with one `sendmmsg`; a reply that arrives later (a
/// forwarded one) is flushed on its own.
final class UDPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let responder: DNSResponder
    private var reading = false
    private var local: SocketAddress?

    init(responder: DNSResponder) { self.responder = responder }

    func channelActive(context: ChannelHandlerContext) {
        local = context.localAddress
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reading = true
        let envelope = unwrapInboundIn(data)
        let client = envelope.remoteAddress
        switch responder.respond(to: envelope.data, from: client, local: local, transport: .udp, on: context.eventLoop)
        {
        case .now(let reply):
            if let reply {
                context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: client, data: reply)), promise: nil)
            }
        case .later(let future):
            future.assumeIsolated().whenSuccess { reply in
                guard let reply else { return }
                let out = self.wrapOutboundOut(AddressedEnvelope(remoteAddress: client, data: reply))
                if self.reading { context.write(out, promise: nil) } else { context.writeAndFlush(out, promise: nil) }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reading = false
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // One client's failed send (an ICMP error, a full buffer) must not
        // take the listener down for every other container: log and go on.
        responder.logger.debug("DNS UDP listener error", metadata: ["error": "\(error)"])
    }
}

/// Serves one TCP connection: queries framed by `DNSFrameDecoder`, replies
/// written with their length prefix, possibly out of order (RFC 7766 §6.2.1.1)
/// since a forwarded query may finish after a later table answer.
///
/// A client may half-close after its last query; the connection then stays
/// open until every pending reply is written. An idle connection is closed.
final class TCPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let responder: DNSResponder
    private var pending = 0
    private var inputClosed = false

    init(responder: DNSResponder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let client = context.remoteAddress else {
            context.close(promise: nil)
            return
        }
        switch responder.respond(
            to: frame, from: client, local: context.localAddress, transport: .tcp, on: context.eventLoop)
        {
        case .now(let reply):
            if let reply { send(reply, context: context) }
        case .later(let future):
            pending += 1
            future.assumeIsolated().whenComplete { result in
                self.pending -= 1
                if case .success(.some(let reply)) = result { self.send(reply, context: context) }
                if self.inputClosed && self.pending == 0 { context.close(promise: nil) }
            }
        }
    }

    private func send(_ reply: ByteBuffer, context: ChannelHandlerContext) {
        var framed = context.channel.allocator.buffer(capacity: reply.readableBytes + 2)
        framed.writeInteger(UInt16(truncatingIfNeeded: reply.readableBytes))
        framed.writeImmutableBuffer(reply)
        context.writeAndFlush(wrapOutboundOut(framed), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed:
            inputClosed = true
            if pending == 0 { context.close(promise: nil) }
        case is IdleStateHandler.IdleStateEvent:
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        responder.logger.debug("DNS TCP connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
