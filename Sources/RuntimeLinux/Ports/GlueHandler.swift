import NIOCore

/// One of a pair of handlers that splice two channels together, bytes in
/// both directions: what one side reads, the other writes (the pattern of
/// NIO's connect-proxy example, written for the port proxy).
///
/// Backpressure: a side reads only while its partner is writable. When the
/// partner's outbound buffer passes its high water mark, `read` is held
/// back (`pendingRead`) until the partner drains below the low mark and
/// says so; the kernel's socket buffer then fills, and TCP flow control
/// slows the sender. Memory per connection stays at the water marks.
///
/// Half-close: an EOF on one side (`ChannelEvent.inputClosed`, which needs
/// `allowRemoteHalfClosure`) becomes a FIN on the other once everything
/// read before it is written: a client that shuts down its write side after
/// the request still gets the whole response. Both channels of a pair live
/// on one event loop, so the handlers call each other directly.
final class GlueHandler {
    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    private init() {}

    /// Two handlers that know each other; add one to each channel.
    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    // MARK: Called by the partner

    private func partnerWrite(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    private var partnerWritable: Bool {
        context?.channel.isWritable ?? false
    }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    /// The partner read EOF: write what is queued, then send our FIN.
    private func partnerInputClosed() {
        afterPendingWrites { $0.close(mode: .output, promise: nil) }
    }

    /// The partner is gone: write what is queued, then close.
    private func partnerClosed() {
        afterPendingWrites { $0.close(promise: nil) }
    }

    /// Runs `body` once every write queued so far has completed (or
    /// failed): writes complete in order, so an empty write flushed behind
    /// them completes last. Closing at once would drop them: a full close
    /// fails pending writes, and NIO turns an output close into a full one
    /// when the input is already closed.
    private func afterPendingWrites(_ body: @escaping @Sendable (any Channel) -> Void) {
        guard let context else { return }
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(capacity: 0)), promise: promise)
        promise.futureResult.whenComplete { _ in body(channel) }
    }
}

extension GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Break the reference cycle between the pair.
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClosed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            partner?.partnerInputClosed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or a failed write: this connection is over, and
        // channelInactive tells the partner.
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.partnerWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
