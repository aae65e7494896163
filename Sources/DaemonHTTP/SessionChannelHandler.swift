import BerthModel
import DaemonAPI
import DaemonCore
import Logging
import NIOCore
import Synchronization

#if canImport(Dispatch)
import Dispatch
#endif

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
        let gate = OutboundGate()
        return SessionIO(incoming: incoming) { frame in
            let bytes = frame.encoded()
            let pending = gate.add(bytes.count)
            channel.writeAndFlush(ByteBuffer(bytes: bytes)).whenComplete { _ in gate.remove(bytes.count) }
            // A client slower than the process (a pager): the producer
            // waits rather than berthd queueing the whole output.
            if pending > OutboundGate.high && !channel.eventLoop.inEventLoop { gate.waitUntilLow() }
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

/// The bytes of one session written but not yet out, so that a producer
/// (the thread that reads a process's output) waits while more than
/// `high` are queued, until fewer than `low` are.
final class OutboundGate: Sendable {
    static let high = 4 << 20
    static let low = 1 << 20

    private struct State {
        var pending = 0
        var waiting = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// Counts `count` more bytes queued; returns how many are now.
    func add(_ count: Int) -> Int {
        state.withLock { state in
            state.pending += count
            return state.pending
        }
    }

    /// `count` bytes have gone out (or failed to: the client left).
    func remove(_ count: Int) {
        let signal = state.withLock { state -> Bool in
            state.pending -= count
            guard state.waiting, state.pending < Self.low else { return false }
            state.waiting = false
            return true
        }
        if signal { wake.signal() }
    }

    /// Blocks the calling thread until fewer than `low` bytes are queued.
    func waitUntilLow() {
        while true {
            let low = state.withLock { state -> Bool in
                if state.pending < Self.low { return true }
                state.waiting = true
                return false
            }
            if low { return }
            _ = wake.wait(timeout: .now() + .milliseconds(200))
        }
    }
}
