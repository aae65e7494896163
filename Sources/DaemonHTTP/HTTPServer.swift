import BerthModel
import DaemonAPI
import DaemonCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// What a route answers with status 200.
public enum HTTPResponseBody: Sendable {
    /// One JSON document.
    case json([UInt8])
    /// Newline-delimited JSON: each element is one complete JSON line
    /// without its newline (a `StreamFrame`). Each goes out as its own
    /// chunk, flushed at once. If the stream throws, the server ends the
    /// answer with a `failure` frame of the error. When the client leaves,
    /// iteration is cancelled, so the stream's `onTermination` runs.
    case stream(AsyncThrowingStream<[UInt8], any Error>)
}

/// berthd's HTTP/1.1 server on its unix socket: `POST /v1/<route>` with a
/// JSON body, one request per connection (the answer says
/// `Connection: close`, whatever the request asked), as `Endpoint` describes.
///
/// A route's handler gets the whole body and answers JSON or a stream; a
/// `BerthError` it throws goes back as JSON with the status `ErrorStatus`
/// picks, any other error as a 500 whose `BerthError` has the error as
/// its cause.
///
/// As a `Service`: `start` listens, and `run` serves until graceful
/// shutdown, then `shutdown`.
public final class HTTPServer: ServiceLifecycle.Service {
    /// Runs one route: the request body in, the answer out.
    public typealias Handler = @Sendable (_ body: [UInt8]) async throws -> HTTPResponseBody
    /// Runs one session route: the request body and the session's ends in,
    /// the last frame out (nil: none, the connection just closes).
    public typealias SessionHandler = @Sendable (_ body: [UInt8], _ session: SessionIO) async -> SessionFrame?

    /// The largest request body accepted: a whole compose project as JSON
    /// is a few MiB; beyond this the answer is 413.
    public static let defaultMaxBodySize = 64 << 20
    /// Seconds a connection has to send its whole request (`--request-timeout`).
    public static let defaultRequestTimeout: Double = 30
    /// Connections served at once (`--max-connections`).
    public static let defaultMaxConnections = 256

    /// What one client may hold of berthd: a connection that has not sent
    /// its whole request within `requestTimeout` is closed (an answer being
    /// streamed, `logs -f` or an attach, has no such limit), and at most
    /// `maxConnections` are open at once: a new one beyond that replaces
    /// the oldest idle one, or is closed at once when all are busy. A flood
    /// of idle connections costs a bounded amount of memory and leaves room
    /// for the CLI.
    public struct Limits: Sendable {
        public var requestTimeout: Duration
        public var maxConnections: Int

        public init(
            requestTimeout: Duration = .milliseconds(Int64(defaultRequestTimeout * 1000)),
            maxConnections: Int = defaultMaxConnections
        ) {
            self.requestTimeout = requestTimeout
            self.maxConnections = maxConnections
        }
    }

    /// Where the server listens.
    public let socketPath: String
    private let listener: any Channel
    /// The file the listener was bound to; nil if it vanished at once.
    private let identity: SocketFile.Identity?
    private let connections: ConnectionRegistry
    private let logger: Logger

    private init(
        socketPath: String, listener: any Channel, identity: SocketFile.Identity?, connections: ConnectionRegistry,
        logger: Logger
    ) {
        self.socketPath = socketPath
        self.listener = listener
        self.identity = identity
        self.connections = connections
        self.logger = logger
    }

    /// Listens on `socketPath` with mode 0600, creating its directory (mode
    /// 0700) when missing. A socket file nobody answers on is the leftover
    /// of a berthd that died and is replaced; one that answers means
    /// another berthd runs, and nothing is touched.
    ///
    /// - Parameter routes: handlers by path (`/v1/up`), as `RouteTable` makes them.
    public static func start(
        socketPath: String,
        routes: [String: Handler],
        sessions: [String: SessionHandler] = [:],
        logger: Logger = Logger(label: "berthd.http"),
        maxBodySize: Int = defaultMaxBodySize,
        limits: Limits = Limits(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(BerthError) -> HTTPServer {
        try SocketFile.createParentDirectory(of: socketPath)
        switch try SocketFile.probe(socketPath) {
        case .absent:
            break
        case .stale:
            logger.info("replacing stale socket", metadata: ["socket": "\(socketPath)"])
            try SocketFile.remove(socketPath)
        case .answering:
            throw BerthError(.daemonAlreadyRunning, "another berthd is already listening on \(socketPath)")
        case .notSocket:
            throw BerthError(
                .daemonSocket, "cannot listen on \(socketPath): a file that is not a socket is in the way")
        }

        let connections = ConnectionRegistry(limit: limits.maxConnections)
        let (seconds, attoseconds) = limits.requestTimeout.components
        let timeout = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            // Fifty `berth` processes at once must not see EAGAIN from a full queue.
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { channel in
                guard connections.add(channel) else {
                    logger.debug("connection refused: \(limits.maxConnections) are open and busy")
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in connections.remove(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    // What configureHTTPServerPipeline adds without pipelining
                    // assistance (one request per connection), kept by name so
                    // that a session route can remove them.
                    let encoder = HTTPResponseEncoder()
                    let http: [any RemovableChannelHandler] = [
                        encoder,
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)),
                        NIOHTTPResponseHeadersValidator(), HTTPServerProtocolErrorHandler(),
                    ]
                    for handler in http { try pipeline.addHandler(handler) }
                    try pipeline.addHandler(
                        HTTPConnectionHandler(
                            routes: routes, sessions: sessions, httpHandlers: http, maxBodySize: maxBodySize,
                            requestTimeout: timeout, onRequest: { connections.markBusy(channel) }, logger: logger))
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(unixDomainSocketPath: socketPath).get()
        } catch let error as IOError where SocketFile.isAddressInUse(error.errnoCode) {
            // Another berthd bound it between the probe and here.
            throw BerthError(.daemonAlreadyRunning, "another berthd is already listening on \(socketPath)")
        } catch {
            throw BerthError(.daemonSocket, "binding berthd's socket \(socketPath)", cause: "\(error)")
        }
        do {
            try SocketFile.restrict(socketPath)
        } catch {
            try? await listener.close()
            try? SocketFile.remove(socketPath)
            throw error
        }
        logger.info("listening", metadata: ["socket": "\(socketPath)"])
        return HTTPServer(
            socketPath: socketPath, listener: listener, identity: SocketFile.identity(of: socketPath),
            connections: connections, logger: logger)
    }

    /// Serves until graceful shutdown (or cancellation), then shuts down.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops listening, closes every open connection (which cancels the
    /// requests running on them) and removes the socket file, unless
    /// another berthd has bound a new one there meanwhile. Calling it again
    /// does nothing more.
    public func shutdown() async {
        // Closing twice fails harmlessly with `alreadyClosed`; nothing to report.
        try? await listener.close()
        for channel in connections.closeAll() { try? await channel.close() }
        if let identity, SocketFile.identity(of: socketPath) == identity {
            do {
                try SocketFile.remove(socketPath)
                logger.info("stopped listening", metadata: ["socket": "\(socketPath)"])
            } catch {
                logger.warning("socket not removed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// The connections open now, so that `shutdown` can close them; once it
/// has, a connection accepted late is closed at once. At most `limit` are
/// kept: a new one beyond it takes the place of the oldest that has not
/// sent its request yet (so a flood of idle connections neither grows
/// berthd nor locks the CLI out), and is closed at once when every one
/// is busy with a request.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var channel: any Channel
        var serial: Int
        var busy = false
    }

    private struct State {
        var closed = false
        var serial = 0
        var channels: [ObjectIdentifier: Entry] = [:]
    }

    private let state = Mutex(State())
    private let limit: Int

    init(limit: Int = .max) {
        self.limit = max(1, limit)
    }

    /// Records `channel`; false after `closeAll`, or when `limit` are open
    /// and all busy. An idle one it replaces is closed here.
    func add(_ channel: any Channel) -> Bool {
        let (added, evicted) = state.withLock { state -> (Bool, (any Channel)?) in
            guard !state.closed else { return (false, nil) }
            var evicted: (any Channel)?
            if state.channels.count >= limit {
                guard
                    let oldest = state.channels.filter({ !$0.value.busy }).min(by: { $0.value.serial < $1.value.serial }
                    )
                else { return (false, nil) }
                evicted = state.channels.removeValue(forKey: oldest.key)?.channel
            }
            state.serial += 1
            state.channels[ObjectIdentifier(channel)] = Entry(channel: channel, serial: state.serial)
            return (true, evicted)
        }
        // Out of the lock: closing on this loop runs its closeFuture's `remove` at once.
        evicted?.close(promise: nil)
        return added
    }

    /// `channel` has sent its whole request: it is no longer idle.
    func markBusy(_ channel: any Channel) {
        state.withLock { $0.channels[ObjectIdentifier(channel)]?.busy = true }
    }

    /// Forgets a closed channel.
    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Refuses further channels and returns the open ones.
    func closeAll() -> [any Channel] {
        state.withLock { state in
            state.closed = true
            defer { state.channels = [:] }
            return state.channels.values.map(\.channel)
        }
    }
}
