import BerthModel
import DaemonAPI
import DaemonCore
import Logging
import NIOCore

/// A connection after its `101 Switching Protocols`: bytes in are cut into
/// `SessionFrame`s for the session's task; the client closing the
/// connection ends them. Frames out are written by the task, through
/// `SessionIO.send`, from any thread.
final class SessionChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private var decoder = SessionFrameDecoder()
    private let continuation: AsyncStream<SessionFrame>.Continuation
    private let logger: Logger

    init(continuation: AsyncStream<SessionFrame>.Continuation, logger: Logger) {
        self.continuation = continuation
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            for frame in try decoder.frames(appending: buffer.readableBytesView) { continuation.yield(frame) }
        } catch {
            logger.debug("session: malformed frame", metadata: ["error": "\(error)"])
            continuation.finish()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("session connection error", metadata: ["error": "\(error)"])
        continuation.finish()
        context.close(promise: nil)
    }

    /// Switches `channel`'s pipeline from HTTP to frames: `httpHandlers`
    /// and `connectionHandler` go, this handler comes, and the `101` is
    /// written. Returns the session's two ends. On the event loop.
    static func upgrade(
        _ context: ChannelHandlerContext, httpHandlers: [any RemovableChannelHandler],
        connectionHandler: any RemovableChannelHandler, logger: Logger
    ) throws -> SessionIO {
        let channel = context.channel
        let (incoming, continuation) = AsyncStream.makeStream(of: SessionFrame.self)
        let pipeline = context.pipeline.syncOperations
        try pipeline.addHandler(SessionChannelHandler(continuation: continuation, logger: logger))
        for handler in httpHandlers { pipeline.removeHandler(handler, promise: nil) }
        pipeline.removeHandler(connectionHandler, promise: nil)
        let answer =
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "
            + SessionEndpoint<Empty>.upgradeProtocol + "\r\n\r\n"
        channel.writeAndFlush(ByteBuffer(string: answer), promise: nil)
        return SessionIO(incoming: incoming) { frame in
            channel.writeAndFlush(ByteBuffer(bytes: frame.encoded()), promise: nil)
        }
    }

    /// Sends the session's last frame and closes the connection once it is out.
    static func finish(_ channel: any Channel, last: SessionFrame?) {
        guard let last else {
            channel.close(promise: nil)
            return
        }
        channel.writeAndFlush(ByteBuffer(bytes: last.encoded())).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
