import BerthModel
import DaemonAPI
import DaemonClient
import DaemonCore
import DaemonHTTP
import TestSupport

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What every transport test stands on: a fresh directory, a server in
/// it, and a raw client for what `DaemonConnection` never sends. Members of
/// the suite so that other suites of this target keep their own names.
extension TransportTests {
    /// A server on a socket in a fresh directory, and a client of it; the
    /// server shuts down and the directory goes, in that order, however the
    /// body ends.
    ///
    /// The socket is `run/berth.sock` in that directory; `prepare` sees its
    /// path before the server starts.
    func withServer<T>(
        routes: [String: HTTPServer.Handler], maxBodySize: Int = HTTPServer.defaultMaxBodySize,
        prepare: (String) throws -> Void = { _ in },
        _ body: (DaemonConnection, HTTPServer) async throws -> T
    ) async throws -> T {
        // Under /tmp with a short name: a socket path must fit in 108 bytes.
        try await withScratchDirectory(prefix: "berth-dt") { directory in
            let path = directory.path + "/run/berth.sock"
            try prepare(path)
            let server = try await HTTPServer.start(socketPath: path, routes: routes, maxBodySize: maxBodySize)
            do {
                let result = try await body(DaemonConnection(socketPath: server.socketPath), server)
                await server.shutdown()
                return result
            } catch {
                await server.shutdown()
                throw error
            }
        }
    }

    /// The mode bits of `path`.
    func mode(of path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    func json(_ value: some Encodable) throws -> [UInt8] { Array(try JSONEncoder().encode(value)) }

    func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// `/v1/up` called as a plain route, for what the transport does with
    /// any body, whatever the route's own types.
    var plainUp: Endpoint<Empty, Empty> { Endpoint("up") }

    /// `/v1/<name>` as a stream of text items ending with a number, for the
    /// frames themselves, whatever the route's own types.
    func textStream(_ name: String) -> StreamingEndpoint<Empty, String, Int> { StreamingEndpoint(name) }

    /// A route that answers its request body unchanged.
    var echo: HTTPServer.Handler { { body in .json(body) } }

    /// A streaming route whose lines come from `produce`, run in a task of its
    /// own as a real handler's would be; the task is cancelled when the stream
    /// ends early, and `cancelled` is told so.
    func streamRoute(
        cancelled: (@Sendable () -> Void)? = nil,
        _ produce: @escaping @Sendable (AsyncThrowingStream<[UInt8], any Error>.Continuation) async throws -> Void
    ) -> HTTPServer.Handler {
        { _ in
            let (lines, output) = AsyncThrowingStream.makeStream(of: [UInt8].self)
            let producer = Task {
                do {
                    try await produce(output)
                    output.finish()
                } catch {
                    output.finish(throwing: error)
                }
            }
            output.onTermination = { reason in
                if case .cancelled = reason { cancelled?() }
                producer.cancel()
            }
            return .stream(lines)
        }
    }

    /// A request as a client other than `DaemonConnection` would send it.
    func post(_ path: String, body: String, headers: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: berthd\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Plain blocking sockets, for what `DaemonConnection` never does: a stale
    /// socket file, a raw request with headers of the test's choosing.
    enum RawSocket {
        /// A socket file that nobody listens on, as a berthd killed with
        /// SIGKILL leaves it.
        static func makeStale(at path: String) throws {
            if let slash = path.lastIndex(of: "/") { mkdir(String(path[..<slash]), 0o700) }
            let descriptor = try open()
            defer { close(descriptor) }
            var address = try self.address(path)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard result == 0 else { throw BerthError(.init("test"), "bind \(path): errno \(errno)") }
        }

        /// What came back from a raw request.
        struct Answer {
            var status: Int
            var head: String
            var body: [UInt8]
            /// Whether the server closed the connection after the answer.
            var closedAfter: Bool
        }

        /// Sends `request` as it is and reads one answer, framed by its
        /// `content-length`; with `awaitClose`, then waits for the server to
        /// close the connection.
        ///
        /// The blocking reads run on a thread of their own: on Linux the
        /// cooperative pool and Dispatch's global queues share one pool (two
        /// threads on a two-core machine), and blocking it starves the very
        /// handler tasks the reads wait for.
        static func exchange(_ path: String, _ request: String, awaitClose: Bool = true) async throws -> Answer {
            try await onOwnThread { try blockingExchange(path, request, awaitClose: awaitClose) }
        }

        private static func blockingExchange(_ path: String, _ request: String, awaitClose: Bool) throws -> Answer {
            let descriptor = try open()
            defer { close(descriptor) }
            var address = try self.address(path)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard connected == 0 else { throw BerthError(.init("test"), "connect \(path): errno \(errno)") }
            let bytes = Array(request.utf8)
            var sent = 0
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { throw BerthError(.init("test"), "write: errno \(errno)") }
                sent += count
            }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            func readMore() throws -> Bool {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                guard count >= 0 else { throw BerthError(.init("test"), "read: errno \(errno)") }
                received += buffer[..<count]
                return count > 0
            }
            let separator = Array("\r\n\r\n".utf8)
            var headEnd: Int?
            while headEnd == nil {
                guard try readMore() else { throw BerthError(.init("test"), "connection closed before a whole head") }
                headEnd = (0...max(0, received.count - 4)).first {
                    received[$0..<min($0 + 4, received.count)].elementsEqual(separator)
                }
            }
            let headCount = (headEnd ?? 0) + 4
            let head = String(decoding: received[..<headCount], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            let status = lines.first.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            let length =
                lines.compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                    return Int(parts[1].filter { $0 != " " })
                }.first ?? 0
            while received.count < headCount + length {
                guard try readMore() else { throw BerthError(.init("test"), "connection closed in the body") }
            }
            let body = Array(received[headCount..<(headCount + length)])
            received.removeFirst(headCount + length)
            let closedAfter = try awaitClose && received.isEmpty && !readMore()
            return Answer(status: status, head: head, body: body, closedAfter: closedAfter)
        }

        private static func open() throws -> Int32 {
            #if canImport(Glibc)
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
            #else
            let descriptor = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)
            #endif
            guard descriptor >= 0 else { throw BerthError(.init("test"), "socket: errno \(errno)") }
            return descriptor
        }

        private static func address(_ path: String) throws -> sockaddr_un {
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                throw BerthError(.init("test"), "socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            return address
        }

        /// Runs `work` on a new thread and waits for it without blocking the
        /// cooperative pool.
        static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                let job = Unmanaged.passRetained(ThreadJob { continuation.resume(with: Result { try work() }) })
                var thread = pthread_t()
                let started = pthread_create(
                    &thread, nil,
                    { argument in
                        guard let argument else { return nil }
                        Unmanaged<ThreadJob>.fromOpaque(argument).takeRetainedValue().run()
                        return nil
                    }, job.toOpaque())
                if started == 0 {
                    pthread_detach(thread)
                } else {
                    job.release()
                    continuation.resume(throwing: BerthError(.init("test"), "pthread_create: \(started)"))
                }
            }
        }

        /// What `onOwnThread` hands to its thread.
        final class ThreadJob {
            let run: () -> Void
            init(_ run: @escaping () -> Void) { self.run = run }
        }
    }
}
