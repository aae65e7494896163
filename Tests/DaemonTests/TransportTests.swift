import BerthModel
import DaemonAPI
import DaemonClient
import DaemonCore
import DaemonHTTP
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// berthd's socket end to end: a real `HTTPServer` and `DaemonConnection`
/// on a unix socket in a fresh directory per test. Nothing waits for a
/// fixed time: a test that would hang instead fails at the time limit.
@Suite(.timeLimit(.minutes(1)))
struct TransportTests {
    // MARK: Plain calls

    @Test func jsonCallRoundTrip() async throws {
        let info = DaemonInfo(version: "1.0", pid: 42, root: "/var/lib/berth", socket: "/run/berth/berth.sock")
        let routes: [String: HTTPServer.Handler] = [
            "/v1/ping": { body in
                _ = try decode(Empty.self, body)
                return .json(try json(info))
            }
        ]
        try await withServer(routes: routes) { connection, _ async throws in
            #expect(try await connection.call(.ping, Empty()) == info)
        }
    }

    @Test func errorStatusCarriesTheWholeBerthError() async throws {
        let thrown = BerthError(
            .alreadyExists, "container name \"app-web-1\" is already in use",
            location: SourceLocation(file: "/srv/app/compose.yaml", line: 3, column: 5), path: "services.web",
            cause: "EEXIST", more: [BerthError(.invalidCompose, "services.db: image is empty")])
        try await withServer(routes: ["/v1/up": { _ in throw thrown }]) { connection, _ async throws in
            let error = await #expect(throws: BerthError.self) { try await connection.call(plainUp, body: []) }
            #expect(error == thrown)
            // A streaming route that fails before its stream begins answers the same way.
            let streamed = await #expect(throws: BerthError.self) {
                try await connection.frames(textStream("up"), Empty())
            }
            #expect(streamed == thrown)
        }
    }

    @Test(arguments: [
        ("not-found", 404), ("usage", 400), ("invalid-name", 400), ("invalid-state", 400), ("in-use", 409),
        ("already-exists", 409), ("daemon-request-too-large", 413), ("timeout", 500), ("internal", 500),
        ("a-code-of-a-newer-berth", 500),
    ])
    func statusFollowsTheErrorCode(code: String, status: Int) async throws {
        let routes: [String: HTTPServer.Handler] = ["/v1/ps": { _ in throw BerthError(.init(code), "it failed") }]
        try await withServer(routes: routes) { _, server async throws in
            let answer = try await RawSocket.exchange(server.socketPath, post("/v1/ps", body: "{}"))
            #expect(answer.status == status)
            #expect(try decode(BerthError.self, answer.body) == BerthError(.init(code), "it failed"))
        }
    }

    @Test func unknownRouteIs404() async throws {
        try await withServer(routes: ["/v1/ping": echo]) { connection, server async throws in
            let error = await #expect(throws: BerthError.self) {
                try await connection.call(.ps, body: Array("{}".utf8))
            }
            #expect(error == BerthError(.notFound, "POST /v1/ps: berthd has no such route"))
            #expect(try await RawSocket.exchange(server.socketPath, post("/v1/nope", body: "{}")).status == 404)
        }
    }

    @Test func otherErrorIs500WithItsDescriptionAsCause() async throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "disk on fire" } }
        try await withServer(routes: ["/v1/ps": { _ in throw Broken() }]) { connection, _ async throws in
            let error = await #expect(throws: BerthError.self) { try await connection.call(.ps, body: []) }
            #expect(error == BerthError(.daemonInternal, "POST /v1/ps failed inside berthd", cause: "disk on fire"))
        }
    }

    @Test func undecodableRequestIs400() async throws {
        let routes: [String: HTTPServer.Handler] = [
            "/v1/ps": { body in .json(try json(try decode(PsRequest.self, body))) }
        ]
        try await withServer(routes: routes) { connection, server async throws in
            let error = await #expect(throws: BerthError.self) {
                try await connection.call(.ps, body: Array("[]".utf8))
            }
            #expect(error?.code == .daemonInvalidRequest)
            #expect(error?.message == "POST /v1/ps: the request body does not decode")
            #expect(try await RawSocket.exchange(server.socketPath, post("/v1/ps", body: "[]")).status == 400)
        }
    }

    // MARK: Streams

    @Test func streamFramesArriveBeforeTheStreamEnds() async throws {
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let route = streamRoute { output in
            output.yield(try json(StreamFrame<String, Int>.item("first")))
            // Held back until the test has the first frame: a client that
            // read the answer to its end before handing out frames hangs here.
            for await _ in release { break }
            output.yield(try json(StreamFrame<String, Int>.item("second")))
            output.yield(try json(StreamFrame<String, Int>.result(2)))
        }
        try await withServer(routes: ["/v1/logs": route]) { connection, _ async throws in
            var frames = try await connection.frames(textStream("logs"), Empty())
                .makeAsyncIterator()
            guard case .item("first")? = try await frames.next() else {
                Issue.record("the first frame is not item(first)")
                return
            }
            releaser.yield()
            guard case .item("second")? = try await frames.next() else {
                Issue.record("the second frame is not item(second)")
                return
            }
            guard case .result(2)? = try await frames.next() else {
                Issue.record("the third frame is not result(2)")
                return
            }
            #expect(try await frames.next() == nil)
        }
    }

    @Test func streamThatThrowsEndsWithAFailureFrame() async throws {
        let thrown = BerthError(.init("dependency-failed"), "service web: dependency db failed to start")
        let route = streamRoute { output in
            output.yield(try json(StreamFrame<String, Int>.item("starting")))
            throw thrown
        }
        try await withServer(routes: ["/v1/up": route]) { connection, _ async throws in
            var frames = try await connection.frames(textStream("up"), Empty())
                .makeAsyncIterator()
            guard case .item("starting")? = try await frames.next() else {
                Issue.record("the first frame is not item(starting)")
                return
            }
            guard case .failure(let error)? = try await frames.next() else {
                Issue.record("the stream did not end with a failure frame")
                return
            }
            #expect(error == thrown)
            #expect(try await frames.next() == nil)
        }
    }

    @Test func streamWithoutAResultIsAProtocolError() async throws {
        let route = streamRoute { output in output.yield(try json(StreamFrame<String, Int>.item("only"))) }
        try await withServer(routes: ["/v1/logs": route]) { connection, _ async throws in
            var frames = try await connection.frames(textStream("logs"), Empty())
                .makeAsyncIterator()
            guard case .item("only")? = try await frames.next() else {
                Issue.record("the first frame is not item(only)")
                return
            }
            let error = await #expect(throws: BerthError.self) { try await frames.next() }
            #expect(
                error
                    == BerthError(
                        .daemonProtocol, "berthd answered POST /v1/logs with a stream that ended without a result"))
        }
    }

    @Test func clientCancelCancelsTheServerProducer() async throws {
        let (cancelled, cancelledSignal) = AsyncStream.makeStream(of: Void.self)
        let (idle, idleKeeper) = AsyncStream.makeStream(of: Void.self)
        let route = streamRoute(cancelled: { cancelledSignal.yield() }) { output in
            output.yield(Array(#"{"item":{"_0":"first"}}"#.utf8))
            // `logs -f` with nothing new to say: only cancellation ends this.
            for await _ in idle {}
        }
        try await withServer(routes: ["/v1/logs": route]) { connection, _ async throws in
            let (firstLine, firstLineSignal) = AsyncStream.makeStream(of: Void.self)
            let consumer = Task {
                for try await _ in try await connection.stream(.logs, body: []) { firstLineSignal.yield() }
            }
            for await _ in firstLine { break }
            consumer.cancel()
            for await _ in cancelled { break }
            _ = await consumer.result
        }
        withExtendedLifetime(idleKeeper) {}
    }

    @Test func shutdownEndsOpenStreamsAndRemovesTheSocket() async throws {
        let (idle, idleKeeper) = AsyncStream.makeStream(of: Void.self)
        let route = streamRoute { output in
            output.yield(Array(#"{"item":{"_0":"first"}}"#.utf8))
            for await _ in idle {}
        }
        try await withServer(routes: ["/v1/events": route]) { connection, server async throws in
            let lines = try await connection.stream(.events, body: [])
            var iterator = lines.makeAsyncIterator()
            #expect(try await iterator.next() == Array(#"{"item":{"_0":"first"}}"#.utf8))
            await server.shutdown()
            do {
                _ = try await iterator.next()
                Issue.record("the stream went on after shutdown")
            } catch let error as BerthError {
                #expect(error.code == .daemonConnectionLost)
            }
            #expect(mode(of: server.socketPath) == nil)
            let error = await #expect(throws: BerthError.self) { try await connection.call(.ping, body: []) }
            #expect(error?.code == .daemonUnreachable)
        }
        withExtendedLifetime(idleKeeper) {}
    }

    // MARK: The socket file

    @Test func nothingAnsweringIsDaemonUnreachable() async throws {
        try await withScratchDirectory(prefix: "berth-dt") { directory async throws in
            let path = directory.path + "/berth.sock"
            let connection = DaemonConnection(socketPath: path)
            let missing = await #expect(throws: BerthError.self) { try await connection.call(.ping, body: []) }
            #expect(missing == BerthError(.daemonUnreachable, "berthd is not running: no socket at \(path)"))

            try RawSocket.makeStale(at: path)
            let refused = await #expect(throws: BerthError.self) { try await connection.stream(.logs, body: []) }
            #expect(refused == BerthError(.daemonUnreachable, "berthd is not running: nothing listens on \(path)"))

            let typed = await #expect(throws: BerthError.self) {
                try await connection.frames(textStream("up"), Empty())
            }
            #expect(typed?.code == .daemonUnreachable)
        }
    }

    @Test func staleSocketFileIsReplaced() async throws {
        try await withServer(routes: ["/v1/ping": echo], prepare: { try RawSocket.makeStale(at: $0) }) {
            connection, _ async throws in
            #expect(try await connection.call(.ping, body: Array("{}".utf8)) == Array("{}".utf8))
        }
    }

    @Test func secondServerOnALiveSocketIsRefused() async throws {
        try await withServer(routes: ["/v1/ping": echo]) { connection, server async throws in
            let error = await #expect(throws: BerthError.self) {
                try await HTTPServer.start(socketPath: server.socketPath, routes: [:])
            }
            #expect(
                error
                    == BerthError(.daemonAlreadyRunning, "another berthd is already listening on \(server.socketPath)"))
            // The first one is untouched.
            #expect(try await connection.call(.ping, body: Array("{}".utf8)) == Array("{}".utf8))
        }
    }

    @Test func fileInTheWayIsLeftAlone() async throws {
        try await withScratchDirectory(prefix: "berth-dt") { directory async throws in
            let path = directory.path + "/berth.sock"
            let file = fopen(path, "w")
            fclose(file)
            let error = await #expect(throws: BerthError.self) {
                try await HTTPServer.start(socketPath: path, routes: [:])
            }
            #expect(error?.message == "cannot listen on \(path): a file that is not a socket is in the way")
            #expect(mode(of: path) != nil)
        }
    }

    @Test func socketIsPrivateToItsOwner() async throws {
        try await withServer(routes: [:]) { _, server async throws in
            #expect(mode(of: server.socketPath) == 0o600)
            // The directory did not exist: the server made it, for root alone.
            let directory = String(server.socketPath.dropLast("/berth.sock".count))
            #expect(mode(of: directory) == 0o700)
        }
    }

    @Test(.requiresNonRoot("root connects whatever the socket's mode"))
    func socketClosedToTheUserIsAccessDenied() async throws {
        try await withServer(routes: ["/v1/ping": echo]) { connection, server async throws in
            chmod(server.socketPath, 0)
            let error = await #expect(throws: BerthError.self) { try await connection.call(.ping, body: []) }
            #expect(error?.code == .daemonAccessDenied)
        }
    }

    // MARK: Sizes and load

    @Test func fiveMegabyteBodyRoundTrip() async throws {
        let payload = (0..<5_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        try await withServer(routes: ["/v1/up": echo]) { connection, _ async throws in
            let answer = try await connection.call(plainUp, body: payload)
            #expect(answer.count == payload.count)
            #expect(answer == payload)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await withServer(routes: ["/v1/up": echo]) { _, server async throws in
            // Refused on its declared length, before any of it is read.
            let declared =
                "POST /v1/up HTTP/1.1\r\nHost: berthd\r\nContent-Length: \(HTTPServer.defaultMaxBodySize + 1)\r\n\r\n"
            let answer = try await RawSocket.exchange(server.socketPath, declared, awaitClose: false)
            #expect(answer.status == 413)
            #expect(try decode(BerthError.self, answer.body).code == .daemonRequestTooLarge)
        }
        try await withServer(routes: ["/v1/up": echo], maxBodySize: 1024) { connection, server async throws in
            let exact = [UInt8](repeating: 0x20, count: 1024)
            #expect(try await connection.call(plainUp, body: exact) == exact)
            let error = await #expect(throws: BerthError.self) {
                try await connection.call(plainUp, body: [UInt8](repeating: 0x20, count: 1025))
            }
            #expect(
                error
                    == BerthError(
                        .daemonRequestTooLarge,
                        "POST /v1/up: the request body is larger than berthd accepts (1024 bytes)"))
            // Without a length: refused once the chunks pass the limit.
            let chunk = String(repeating: " ", count: 2048)
            let chunked =
                "POST /v1/up HTTP/1.1\r\nHost: berthd\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n\(chunk)\r\n0\r\n\r\n"
            #expect(try await RawSocket.exchange(server.socketPath, chunked).status == 413)
        }
    }

    @Test func keepAliveRequestIsAnsweredThenClosed() async throws {
        try await withServer(routes: ["/v1/ping": echo]) { _, server async throws in
            let answer = try await RawSocket.exchange(
                server.socketPath, post("/v1/ping", body: "{}", headers: "Connection: keep-alive\r\n"))
            #expect(answer.status == 200)
            #expect(answer.body == Array("{}".utf8))
            #expect(answer.head.lowercased().contains("connection: close"))
            #expect(answer.closedAfter)
        }
    }

    @Test func fiftyConcurrentCalls() async throws {
        let routes: [String: HTTPServer.Handler] = [
            "/v1/ps": { body in
                await Task.yield()
                return .json(body)
            }
        ]
        try await withServer(routes: routes) { connection, _ async throws in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let body = Array(#"{"projectName":"p\#(index)"}"#.utf8)
                        return try await connection.call(.ps, body: body) == body
                    }
                }
                var matched = 0
                for try await ok in group where ok { matched += 1 }
                #expect(matched == 50)
            }
        }
    }
}
