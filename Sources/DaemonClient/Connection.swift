import BerthModel
import DaemonAPI
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The CLI's side of berthd's socket: one connection per request, as
/// `Endpoint` and `StreamingEndpoint` describe the protocol.
///
/// Failures are `BerthError`s: berthd's own come back whole from the body of
/// an error status; the transport's have the codes of `TransportErrors`
/// (`daemonUnreachable` when nothing answers, so the CLI can start berthd
/// and retry).
public struct DaemonConnection: Sendable {
    /// berthd's socket.
    public let socketPath: String
    private let group: any EventLoopGroup
    /// How long a connect refused for load (EAGAIN: berthd's accept queue
    /// is full) is tried again before giving up with `daemonBusy`.
    public let busyDeadline: Duration

    /// A client of the berthd listening on `socketPath`. Its threads are
    /// NIO's shared ones, started on the first request, never shut down.
    public init(socketPath: String, busyDeadline: Duration = .seconds(20)) {
        self.init(
            socketPath: socketPath, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, busyDeadline: busyDeadline)
    }

    /// A client that runs its connections on `eventLoopGroup`.
    public init(socketPath: String, eventLoopGroup: any EventLoopGroup, busyDeadline: Duration = .seconds(20)) {
        self.socketPath = socketPath
        self.group = eventLoopGroup
        self.busyDeadline = busyDeadline
    }

    /// Sends `body` to a plain route and returns the body of its `200`
    /// answer; an error status throws the `BerthError` it carries.
    public func call<Request, Response>(_ endpoint: Endpoint<Request, Response>, body: [UInt8]) async throws -> [UInt8]
    {
        let path = endpoint.path
        return try await exchange(path, body) { parts in
            var answer = ByteBuffer()
            while let part = try await parts.next() {
                switch part {
                case .body(var chunk): answer.writeBuffer(&chunk)
                case .end: return Array(answer.readableBytesView)
                case .head: throw protocolViolation(path, "a second head in one answer")
                }
            }
            throw connectionLost(path, cause: "the answer ended early")
        }
    }

    /// Sends `body` to a streaming route and returns its lines (without
    /// their newline) as they arrive. It returns once the answer's head is
    /// in, so an unreachable daemon or an error status throws here; a
    /// connection lost later ends the lines with an error. Ending the
    /// iteration early, or cancelling its task, closes the connection, and
    /// berthd stops the stream's producer.
    ///
    /// Lines are buffered here without bound while the consumer is slower
    /// than the socket: every stream of berthd (progress, logs, events) is
    /// meant for a terminal or a pipe, which keeps up.
    public func stream<Request, Item, Result>(
        _ endpoint: StreamingEndpoint<Request, Item, Result>, body: [UInt8]
    ) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        let path = endpoint.path
        let (lines, output) = AsyncThrowingStream.makeStream(of: [UInt8].self)
        // Finished without an element once the head says 200; thrown into
        // when the request fails before that.
        let (opened, open) = AsyncThrowingStream.makeStream(of: Void.self)
        let reader = Task {
            do {
                try await exchange(path, body) { parts in
                    open.finish()
                    var splitter = LineSplitter()
                    while let part = try await parts.next() {
                        switch part {
                        case .body(let chunk):
                            for line in splitter.lines(appending: chunk) { output.yield(line) }
                        case .end:
                            if let last = splitter.rest() { output.yield(last) }
                            return
                        case .head:
                            throw protocolViolation(path, "a second head in one answer")
                        }
                    }
                    throw connectionLost(path, cause: "the stream ended without its last chunk")
                }
                output.finish()
            } catch {
                open.finish(throwing: error)
                output.finish(throwing: error)
            }
        }
        output.onTermination = { _ in reader.cancel() }
        try await withTaskCancellationHandler {
            for try await _ in opened {}
        } onCancel: {
            reader.cancel()
        }
        // The wait above ends quietly when this task is cancelled.
        if Task.isCancelled {
            reader.cancel()
            throw CancellationError()
        }
        return lines
    }

    /// `berth logs`: the entries of `request`, each handed to `each` as soon
    /// as the chunk holding it is in. The one route whose items come by the
    /// million is read here without a task or a stream per line between the
    /// socket and `each`, and the socket is read only as fast as `each`
    /// returns: a 2 GB log costs the client a chunk of memory, not the log.
    public func logs(_ request: LogsRequest, each: @Sendable (LogEntry) throws -> Void) async throws {
        let path = StreamingEndpoint<LogsRequest, LogEntry, Empty>.logs.path
        try request.validate()
        let body: [UInt8]
        do {
            body = try WireJSON.encode(request)
        } catch {
            throw BerthError(.daemonProtocol, "cannot encode the request of POST \(path)", cause: "\(error)")
        }
        try await exchange(path, body) { parts in
            var splitter = LineSplitter()
            var ended = false
            func take(_ line: [UInt8]) throws {
                if let entry = LogEntry.fromItemFrame(line) { return try each(entry) }
                let frame: StreamFrame<LogEntry, Empty>
                do {
                    frame = try WireJSON.decode(StreamFrame<LogEntry, Empty>.self, from: line)
                } catch {
                    throw protocolViolation(
                        path, "a line that is not a frame", cause: String(decoding: line.prefix(200), as: UTF8.self))
                }
                switch frame {
                case .item(let entry): try each(entry)
                case .result: ended = true
                case .failure(let error): throw error
                }
            }
            while let part = try await parts.next() {
                switch part {
                case .body(let chunk):
                    for line in splitter.lines(appending: chunk) { try take(line) }
                case .end:
                    if let last = splitter.rest() { try take(last) }
                    guard ended else { throw protocolViolation(path, "a stream that ended without a result") }
                    return
                case .head:
                    throw protocolViolation(path, "a second head in one answer")
                }
            }
            throw connectionLost(path, cause: "the stream ended without its last chunk")
        }
    }

    /// Connects, sends the request, reads the answer's head and hands the
    /// rest of a `200` to `read`; an error status throws its `BerthError`.
    private func exchange<T: Sendable>(
        _ path: String, _ body: [UInt8],
        _ read: (inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator) async throws -> T
    ) async throws -> T {
        let channel = try await connect()
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var headers = HTTPHeaders()
                headers.add(name: "host", value: "berthd")
                headers.add(name: "content-type", value: "application/json")
                headers.add(name: "content-length", value: String(body.count))
                headers.add(name: "connection", value: "close")
                let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
                try await outbound.write(
                    contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: body))), .end(nil)])

                var parts = inbound.makeAsyncIterator()
                guard case .head(let answer)? = try await parts.next() else {
                    throw connectionLost(path, cause: "no answer")
                }
                guard answer.status == .ok else { throw try await failure(path, answer, &parts) }
                return try await read(&parts)
            }
        } catch let error as BerthError {
            throw error
        } catch {
            // Cancelled: whatever NIO threw while the connection closed is not news.
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            // A reset, a broken pipe, a chunk cut short: berthd went away mid-answer.
            throw connectionLost(path, cause: "\(error)")
        }
    }

    /// The `BerthError` in the body of an error status.
    private func failure(
        _ path: String, _ head: HTTPResponseHead,
        _ parts: inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    ) async throws -> BerthError {
        var body = ByteBuffer()
        while let part = try await parts.next() {
            if case .body(var chunk) = part { body.writeBuffer(&chunk) }
            if case .end = part { break }
        }
        let bytes = Array(body.readableBytesView)
        if let error = try? WireJSON.decode(BerthError.self, from: bytes) { return error }
        return protocolViolation(
            path, "status \(head.status.code) \(head.status.reasonPhrase) without an error in its body",
            cause: String(decoding: bytes.prefix(200), as: UTF8.self))
    }

    /// Connects; EAGAIN means berthd is there but busy, so it is tried
    /// again (never answered by starting another berthd) until `busyDeadline`.
    private func connect() async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        let deadline = ContinuousClock.now.advanced(by: busyDeadline)
        var pause = Duration.milliseconds(5)
        while true {
            do {
                return try await connectOnce()
            } catch let error as IOError where error.errnoCode == EAGAIN {
                guard ContinuousClock.now < deadline else {
                    throw BerthError(
                        .daemonBusy,
                        "berthd at \(socketPath) is too busy to accept a connection (tried for \(busyDeadline))",
                        cause: "\(error)")
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(200))
            }
        }
    }

    private func connectOnce() async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        do {
            return try await ClientBootstrap(group: group).connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        } catch let error as IOError where error.errnoCode == EAGAIN {
            throw error
        } catch let error as IOError {
            throw connectFailure(errno: error.errnoCode, error: error)
        } catch SocketAddressError.unixDomainSocketPathTooLong {
            throw BerthError(
                .usage, "berthd's socket path \(socketPath) is too long for a unix socket (107 bytes at most)")
        } catch {
            throw BerthError(.daemonUnreachable, "cannot connect to berthd at \(socketPath)", cause: "\(error)")
        }
    }

    /// Turns connect's errno into the CLI's next step: start berthd (no
    /// socket, or nobody listening on it) or become root (mode 0600).
    private func connectFailure(errno code: Int32, error: IOError) -> BerthError {
        switch code {
        case ENOENT, ENOTDIR:
            return BerthError(.daemonUnreachable, "berthd is not running: no socket at \(socketPath)")
        case ECONNREFUSED:
            return BerthError(.daemonUnreachable, "berthd is not running: nothing listens on \(socketPath)")
        case EACCES, EPERM:
            return BerthError(
                .daemonAccessDenied,
                "permission denied connecting to berthd at \(socketPath): its socket is for root; run berth as root")
        default:
            return BerthError(.daemonUnreachable, "cannot connect to berthd at \(socketPath)", cause: "\(error)")
        }
    }

    /// `path` is the request's.
    func connectionLost(_ path: String, cause: String) -> BerthError {
        BerthError(.daemonConnectionLost, "berthd closed the connection during POST \(path)", cause: cause)
    }

    /// `path` is the request's.
    func protocolViolation(_ path: String, _ what: String, cause: String? = nil) -> BerthError {
        BerthError(.daemonProtocol, "berthd answered POST \(path) with \(what)", cause: cause)
    }
}

/// Cuts a chunked body into lines wherever the chunks fall: a chunk may end
/// in the middle of a line or hold several.
struct LineSplitter {
    private var pending = ByteBuffer()

    /// The lines that `chunk` completes, without newlines; blank lines are skipped.
    mutating func lines(appending chunk: ByteBuffer) -> [[UInt8]] {
        var chunk = chunk
        pending.writeBuffer(&chunk)
        var lines: [[UInt8]] = []
        while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - pending.readerIndex
            if let line = pending.readBytes(length: length), !line.isEmpty { lines.append(line) }
            pending.moveReaderIndex(forwardBy: 1)
        }
        pending.discardReadBytes()
        return lines
    }

    /// What follows the last newline, if anything.
    mutating func rest() -> [UInt8]? {
        guard pending.readableBytes > 0 else { return nil }
        defer { pending.clear() }
        return Array(pending.readableBytesView)
    }
}
