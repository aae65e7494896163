import BerthModel
import DaemonAPI
import Logging
import NIOCore
import NIOHTTP1

/// One connection, one request: gathers the body, picks the route, and
/// starts the task that runs it. Closing the connection cancels that task,
/// so a handler's producer stops when the client goes (Ctrl-C on
/// `berth logs -f`).
///
/// Its lifecycle is `State`, and every transition happens on the channel's
/// event loop.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case awaitingHead
        case receiving(HTTPRequestHead, ByteBuffer)
        /// Answered before the body ended (413): the rest is read and
        /// dropped, so the client is not cut off in the middle of its write
        /// and does read the answer; the connection closes at its end.
        case discarding
        case responding(Task<Void, Never>)
        case closed
    }

    private let routes: [String: HTTPServer.Handler]
    private let sessions: [String: HTTPServer.SessionHandler]
    /// The HTTP codec's handlers, removed when a session route upgrades the connection.
    private let httpHandlers: [any RemovableChannelHandler]
    private let maxBodySize: Int
    /// How long the whole request may take to arrive; nil: for ever.
    private let requestTimeout: TimeAmount?
    private var deadline: Scheduled<Void>?
    /// Told once the whole request has arrived (the server counts idle connections).
    private let onRequest: @Sendable () -> Void
    private let logger: Logger
    private var state = State.awaitingHead

    init(
        routes: [String: HTTPServer.Handler], sessions: [String: HTTPServer.SessionHandler] = [:],
        httpHandlers: [any RemovableChannelHandler] = [], maxBodySize: Int, requestTimeout: TimeAmount? = nil,
        onRequest: @escaping @Sendable () -> Void = {}, logger: Logger
    ) {
        self.requestTimeout = requestTimeout
        self.onRequest = onRequest
        self.routes = routes
        self.sessions = sessions
        self.httpHandlers = httpHandlers
        self.maxBodySize = maxBodySize
        self.logger = logger
    }

    /// Starts the clock of the request: an idle or half-sent one is closed
    /// when it runs out. Once the request is whole, the answer takes as long
    /// as it takes.
    func handlerAdded(context: ChannelHandlerContext) {
        guard let requestTimeout else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: requestTimeout) {
            let (handler, context) = bound.value
            handler.requestTimedOut(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func requestTimedOut(context: ChannelHandlerContext) {
        deadline = nil
        switch state {
        case .awaitingHead, .receiving, .discarding:
            logger.debug("closing a connection whose request did not arrive in time")
            state = .closed
            context.close(promise: nil)
        case .responding, .closed:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Over the part, then the state: a switch over `(part, state)` held a
        // second reference to the body for its whole length, so every
        // append copied the buffer (a 30 MiB body took 24 s).
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard case .awaitingHead = state else { return }  // a second request: one per connection
            receive(head, context: context)
        case .body(var chunk):
            guard case .receiving(let head, var body) = state else { return }  // the rest of a refused body
            guard body.readableBytes + chunk.readableBytes <= maxBodySize else {
                refuseTooLarge(head, context: context)
                return
            }
            // Drop the state's reference first so the append does not copy the buffer.
            state = .awaitingHead
            body.writeBuffer(&chunk)
            state = .receiving(head, body)
        case .end:
            switch state {
            case .receiving(let head, let body):
                dispatch(head, body: body, context: context)
            case .discarding:
                state = .closed
                context.close(promise: nil)
            default:
                break
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .responding(let task) = state { task.cancel() }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset from a client that left, or a malformed request (answered
        // 400 by HTTPServerProtocolErrorHandler before us): only this
        // connection is concerned.
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func receive(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let request = "\(head.method) \(head.uri)"
        guard head.method == .POST else {
            let error = BerthError(.usage, "\(request): berthd's routes take POST")
            answerNow(.methodNotAllowed, error, context: context, thenDiscard: true)
            return
        }
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maxBodySize {
            refuseTooLarge(head, context: context)
            return
        }
        let expected = head.headers.first(name: "content-length").flatMap(Int.init) ?? 0
        state = .receiving(head, context.channel.allocator.buffer(capacity: expected))
        // curl asks before sending a body over 1 KiB, and would wait a second for this.
        if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            let proceed = HTTPResponseHead(version: head.version, status: .continue)
            context.writeAndFlush(wrapOutboundOut(.head(proceed)), promise: nil)
        }
    }

    private func refuseTooLarge(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let error = BerthError(
            .daemonRequestTooLarge,
            "\(head.method) \(head.uri): the request body is larger than berthd accepts (\(maxBodySize) bytes)")
        answerNow(.payloadTooLarge, error, context: context, thenDiscard: true)
    }

    private func dispatch(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        onRequest()
        let request = "\(head.method) \(head.uri)"
        // A query string selects nothing: routes take their arguments in the body.
        let path = head.uri.prefix { $0 != "?" }
        if let session = sessions[String(path)] {
            upgrade(head, body: body, to: session, context: context)
            return
        }
        guard let handler = routes[String(path)] else {
            answerNow(
                .notFound, BerthError(.notFound, "\(request): berthd has no such route"), context: context)
            return
        }
        deadline?.cancel()
        deadline = nil
        logger.trace("request", metadata: ["request": "\(request)", "bytes": "\(body.readableBytes)"])
        let writer = ResponseWriter(channel: context.channel, logger: logger, request: request)
        let bytes = Array(body.readableBytesView)
        state = .responding(Task { await writer.respond(with: handler, body: bytes) })
    }

    /// A session route: the connection becomes a stream of frames (after
    /// the `101`, on the next turn of the loop, out of the decoder's call)
    /// and the session's task runs until it has sent its last frame. The
    /// client leaving does not cancel it: a detached process runs on.
    private func upgrade(
        _ head: HTTPRequestHead, body: ByteBuffer, to session: @escaping HTTPServer.SessionHandler,
        context: ChannelHandlerContext
    ) {
        let wanted = head.headers.first(name: "upgrade")?.lowercased()
        guard wanted == SessionEndpoint<Empty>.upgradeProtocol else {
            let error = BerthError(
                .usage, "\(head.method) \(head.uri): this route is a session; ask for Upgrade: berth-session")
            answerNow(.badRequest, error, context: context)
            return
        }
        state = .closed
        let bytes = Array(body.readableBytesView)
        let logger = self.logger
        let loop = context.eventLoop
        let bound = NIOLoopBound((context, self as any RemovableChannelHandler, httpHandlers), eventLoop: loop)
        loop.execute {
            let (context, connection, handlers) = bound.value
            let channel = context.channel
            do {
                let io = try SessionChannelHandler.upgrade(
                    context, httpHandlers: handlers, connectionHandler: connection, logger: logger)
                Task {
                    let last = await session(bytes, io)
                    SessionChannelHandler.finish(channel, last: last)
                }
            } catch {
                logger.debug("session upgrade failed", metadata: ["error": "\(error)"])
                channel.close(promise: nil)
            }
        }
    }

    /// Answers an error from the event loop, without a task. With
    /// `thenDiscard` the request has not ended yet: the connection closes
    /// once it has.
    private func answerNow(
        _ status: HTTPResponseStatus, _ error: BerthError, context: ChannelHandlerContext, thenDiscard: Bool = false
    ) {
        let json = ResponseWriter.encode(error)
        let head = ResponseWriter.head(status, headers: [("content-length", String(json.count))])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: json)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if thenDiscard {
            state = .discarding
        } else {
            state = .closed
            context.close(promise: nil)
        }
    }
}
