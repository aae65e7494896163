import BerthModel
import DaemonAPI
import DaemonCore

/// The server's handlers by path, each registered by its endpoint: the
/// endpoint's types decode the request and encode the answer, so a route's
/// types are written once, in DaemonAPI, for the daemon and the client.
public struct RouteTable: Sendable {
    /// What `HTTPServer.start` serves: handlers by path (`/v1/up`).
    public internal(set) var handlers: [String: HTTPServer.Handler] = [:]
    /// What `HTTPServer.start` serves as sessions: handlers by path.
    public private(set) var sessions: [String: HTTPServer.SessionHandler] = [:]

    /// A table with no route.
    public init() {}

    /// Answers `endpoint` with what `body` returns for its request.
    public mutating func on<Request, Response>(
        _ endpoint: Endpoint<Request, Response>, _ body: @escaping @Sendable (Request) async throws -> Response
    ) {
        let path = endpoint.path
        handlers[path] = { bytes in
            let request = try Self.decode(Request.self, bytes, path)
            return .json(try WireJSON.encode(try await body(request)))
        }
    }

    /// Answers `endpoint` with a stream: each item `body` sends as it
    /// works, then its result, or the failure it threw. The client leaving
    /// cancels `body`.
    public mutating func on<Request, Item, Result>(
        _ endpoint: StreamingEndpoint<Request, Item, Result>,
        _ body: @escaping @Sendable (Request, _ send: @escaping @Sendable (Item) -> Void) async throws -> Result
    ) {
        let path = endpoint.path
        handlers[path] = { bytes in
            let request = try Self.decode(Request.self, bytes, path)
            let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
            let task = Task {
                let send: @Sendable (StreamFrame<Item, Result>) -> Void = { frame in
                    if let line = try? WireJSON.encode(frame) { continuation.yield(line) }
                }
                do {
                    let result = try await body(request) { send(.item($0)) }
                    send(.result(result))
                } catch {
                    send(.failure(Self.berthError(error)))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
            return .stream(stream)
        }
    }

    /// Answers `endpoint` with a session: `body` relays the process's
    /// streams over `SessionIO` and returns its exit code (sent as the last
    /// frame), or nil when it ended without one (detached); a failure is
    /// sent as an `error` frame.
    public mutating func on<Request>(
        _ endpoint: SessionEndpoint<Request>,
        _ body: @escaping @Sendable (Request, SessionIO) async throws -> Int32?
    ) {
        let path = endpoint.path
        sessions[path] = { bytes, io in
            do {
                let request = try Self.decode(Request.self, bytes, path)
                return try await body(request, io).map { .exit($0) }
            } catch {
                return .error(Self.berthError(error))
            }
        }
    }

    /// The request in `bytes`, checked (`ValidatedRequest`) before any
    /// handler sees it: what does not decode, or names, counts or ports
    /// Berth cannot make, is the client's error (400).
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], _ path: String) throws -> T {
        let request: T
        do {
            request = try WireJSON.decode(type, from: bytes)
        } catch DecodingError.dataCorrupted(let context) where context.underlyingError is BerthError {
            // A value decoded by a checking type (`ProjectName`): its own words.
            throw (context.underlyingError as? BerthError) ?? BerthError(.usage, "malformed request to \(path)")
        } catch {
            throw BerthError(.usage, "malformed request to \(path)", cause: "\(error)")
        }
        if let checked = request as? any ValidatedRequest { try checked.validate() }
        return request
    }

    static func berthError(_ error: any Error) -> BerthError {
        if let error = error as? BerthError { return error }
        if error is CancellationError { return BerthError(.cancelled, "cancelled") }
        return BerthError(.daemonInternal, "\(error)")
    }
}
