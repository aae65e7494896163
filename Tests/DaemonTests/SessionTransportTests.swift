import BerthModel
import DaemonAPI
import DaemonClient
import DaemonCore
import DaemonHTTP
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#endif

/// Runs blocking socket work on a thread of its own: on Swift's few
/// cooperative threads it would starve the server it talks to.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A session route over the real server and client: the `101`, frames both
/// ways, the last frame, and an error before the session as a status.
struct SessionTransportTests {
    /// Echoes input as stdout (uppercased on stderr), answers a resize with
    /// its size as text, and exits with the number of frames it got.
    static func echo() -> RouteTable {
        var routes = RouteTable()
        routes.on(SessionEndpoint<ExecSessionRequest>.execSession) { request, io in
            var frames: Int32 = 0
            for await frame in io.incoming {
                frames += 1
                switch frame {
                case .input(let bytes):
                    io.send(.stdout(bytes))
                    io.send(.stderr(Array(String(decoding: bytes, as: UTF8.self).uppercased().utf8)))
                case .resize(let size): io.send(.stdout(Array("\(size.rows)x\(size.columns)".utf8)))
                case .endOfInput: return frames
                default: break
                }
            }
            return nil
        }
        routes.on(SessionEndpoint<AttachRequest>.attach) { request, _ in
            throw BerthError(.notFound, "no such service: \(request.service)")
        }
        return routes
    }

    func withSessionServer(_ body: (DaemonConnection) async throws -> Void) async throws {
        try await withScratchDirectory(prefix: "berth-ds") { directory in
            let table = Self.echo()
            let server = try await HTTPServer.start(
                socketPath: directory.path + "/s.sock", routes: table.handlers, sessions: table.sessions)
            do {
                try await body(DaemonConnection(socketPath: server.socketPath))
            } catch {
                await server.shutdown()
                throw error
            }
            await server.shutdown()
        }
    }

    /// Reads frames until `count` have come or the connection ends.
    static func read(_ socket: SessionSocket, count: Int) throws -> [SessionFrame] {
        var decoder = SessionFrameDecoder()
        var frames: [SessionFrame] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while frames.count < count {
            let n = socket.receive(into: &buffer)
            if n == 0 { break }
            frames += try decoder.frames(appending: buffer[0..<n])
        }
        return frames
    }

    @Test func framesGoBothWaysAndTheExitComesLast() async throws {
        try await withSessionServer { connection in
            let socket = try await offPool {
                try connection.openSession(
                    .execSession, ExecSessionRequest(projectName: "p", service: "web", command: ["sh"]))
            }
            defer { socket.close() }
            #expect(socket.send(.input(Array("hi".utf8))))
            #expect(
                try await offPool { try Self.read(socket, count: 2) } == [
                    .stdout(Array("hi".utf8)), .stderr(Array("HI".utf8)),
                ])
            socket.send(.resize(WindowSize(rows: 24, columns: 80)))
            #expect(try await offPool { try Self.read(socket, count: 1) } == [.stdout(Array("24x80".utf8))])
            socket.send(.endOfInput)
            #expect(try await offPool { try Self.read(socket, count: 2) } == [.exit(3)])
        }
    }

    @Test func aFailureInTheSessionIsAnErrorFrame() async throws {
        try await withSessionServer { connection in
            let socket = try await offPool {
                try connection.openSession(.attach, AttachRequest(projectName: "p", service: "nope"))
            }
            defer { socket.close() }
            let frames = try await offPool { try Self.read(socket, count: 2) }
            #expect(frames.count == 1)
            guard case .error(let error)? = frames.first else {
                Issue.record("expected an error frame, got \(frames)")
                return
            }
            #expect(error.code == .notFound)
            #expect(error.message == "no such service: nope")
        }
    }

    @Test func aPlainPostToASessionRouteIsRefused() async throws {
        try await withSessionServer { connection in
            await #expect(throws: BerthError.self) {
                _ = try await connection.call(Endpoint<Empty, Empty>("exec-session"), body: [])
            }
        }
    }
}
