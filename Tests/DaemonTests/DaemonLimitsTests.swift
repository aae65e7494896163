import BerthModel
import DaemonAPI
import DaemonClient
import DaemonCore
import DaemonHTTP
import Foundation
import Logging
import Supervisor
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// berthd refuses what it cannot hold: requests with names, ports, counts
/// or variables Berth cannot make (400, nothing written), idle and
/// half-sent connections (closed after the request timeout), and more
/// connections than it serves (the idle ones make room for a real request).
/// Over the real server and routes, the fake runtime below.
@Suite(.timeLimit(.minutes(1)))
struct DaemonLimitsTests {
    // MARK: Requests

    /// A mutation of a valid `up` request's JSON, and the code berthd must answer with.
    struct Mutation: Sendable, CustomTestStringConvertible {
        var label: String
        var code: String
        var change: @Sendable (inout [String: Any]) -> Void
        var testDescription: String { label }
    }

    static let escape = "berth-escape-\(UInt32.random(in: 0...UInt32.max))"

    static let mutations: [Mutation] = [
        Mutation(label: "project ../../x", code: "invalid-name") {
            $0.project["name"] = ["rawValue": "../../\(escape)"]
        },
        Mutation(label: "project of 120 bytes", code: "invalid-name") {
            $0.project["name"] = ["rawValue": String(repeating: "a", count: 120)]
        },
        Mutation(label: "project of 300 bytes", code: "invalid-name") {
            $0.project["name"] = ["rawValue": String(repeating: "a", count: 300)]
        },
        Mutation(label: "port -5", code: "invalid-argument") { $0.web["ports"] = [port(target: -5)] },
        Mutation(label: "port 70000", code: "invalid-argument") { $0.web["ports"] = [port(target: 70000)] },
        Mutation(label: "published -5", code: "invalid-argument") {
            $0.web["ports"] = [port(target: 80, published: "-5")]
        },
        Mutation(label: "replicas 2^62", code: "invalid-argument") { $0.web["replicas"] = 1 << 62 },
        Mutation(label: "replicas -1", code: "invalid-argument") { $0.web["replicas"] = -1 },
        Mutation(label: "scale -3", code: "invalid-argument") { $0["scale"] = ["web": -3] },
        Mutation(label: "scale 5000", code: "invalid-argument") { $0["scale"] = ["web": 5000] },
        Mutation(label: "env key with =", code: "invalid-argument") { $0.web["environment"] = ["A=B": "c"] },
        Mutation(label: "env key empty", code: "invalid-argument") { $0.web["environment"] = ["": "c"] },
        Mutation(label: "env value with NUL", code: "invalid-argument") {
            $0.web["environment"] = ["A": "secret\u{0}tail"]
        },
        Mutation(label: "service ../x", code: "invalid-name") {
            var services = $0.project["services"] as? [String: Any] ?? [:]
            var web = services["web"] as? [String: Any] ?? [:]
            web["name"] = "../x"
            services = ["../x": web]
            $0.project["services"] = services
        },
        Mutation(label: "service of 200 bytes", code: "invalid-name") {
            let long = String(repeating: "s", count: 200)
            var web = $0.web
            web["name"] = long
            $0.project["services"] = [long: web]
        },
        Mutation(label: "volume ../v", code: "invalid-name") {
            let volumes = $0.project["volumes"] as? [String: Any] ?? [:]
            $0.project["volumes"] = ["../v": volumes["data"] ?? [:]]
        },
    ]

    @Test(arguments: mutations)
    func aRequestBerthCannotMakeIs400AndWritesNothing(_ mutation: Mutation) async throws {
        try await withDaemon { socket, root in
            var request = try Self.upRequest()
            mutation.change(&request)
            let body = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
            let answer = try await Raw.exchange(socket, post("/v1/up", body))
            #expect(answer.status == 400, "\(answer.head)\(String(decoding: answer.body, as: UTF8.self))")
            let error = try JSONDecoder().decode(BerthError.self, from: Data(answer.body))
            #expect(error.code.rawValue == mutation.code, "\(error)")
            #expect(!error.description.contains("NSCocoaErrorDomain"))
            // Nothing written: no project stored, nothing beside the root.
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: root + "/projects")) ?? []).isEmpty)
            #expect(access("/tmp/\(Self.escape).json", F_OK) != 0)
            #expect(access((root as NSString).deletingLastPathComponent + "/\(Self.escape).json", F_OK) != 0)
        }
    }

    @Test func aValidRequestStillGoesThrough() async throws {
        try await withDaemon { socket, root in
            let body = String(decoding: try JSONSerialization.data(withJSONObject: try Self.upRequest()), as: UTF8.self)
            let answer = try await Raw.exchange(socket, post("/v1/up", body))
            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(FileManager.default.fileExists(atPath: root + "/projects/shop.json"))
        }
    }

    @Test(arguments: ["ps", "logs", "top", "wait", "container-action", "down"])
    func aProjectNameOutsideTheRuleIsRefusedByEveryRoute(_ route: String) async throws {
        try await withDaemon { socket, _ in
            var fields: [String: Any] = ["projectName": "../../etc", "services": [String]()]
            if route == "container-action" { fields["action"] = "stop" }
            if route == "down" { fields = ["projectName": "../../etc"] }
            fields["all"] = false
            fields["follow"] = false
            fields["force"] = false
            fields["removeVolumes"] = false
            fields["removeOrphans"] = false
            let body = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
            let answer = try await Raw.exchange(socket, post("/v1/\(route)", body))
            #expect(answer.status == 400, "\(route): \(String(decoding: answer.body, as: UTF8.self))")
            let error = try JSONDecoder().decode(BerthError.self, from: Data(answer.body))
            #expect(error.code == .invalidName, "\(error)")
        }
    }

    @Test func mutatedRequestsAllGetAnAnswerAndWriteNothingOutsideTheRoot() async throws {
        try await withDaemon(requestTimeout: .milliseconds(500)) { socket, root in
            var random = SeededRandom(seed: 16)
            let base = try Self.upRequest()
            var statuses: [Int: Int] = [:]
            for _ in 0..<200 {
                var request: Any = base
                for _ in 0..<random.next(below: 3) + 1 { Fuzz.mutate(&request, using: &random) }
                // A top level that is not an object is no request body at all.
                guard request is [String: Any] else { continue }
                let body = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
                let answer = try await Raw.exchange(socket, post("/v1/up", body))
                statuses[answer.status, default: 0] += 1
                #expect(
                    (200..<500).contains(answer.status),
                    "\(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
            }
            #expect(statuses[400, default: 0] > 0, "\(statuses)")
            // Malformed HTTP: each is answered or closed, and berthd goes on answering.
            for garbage in [
                "GET / HTTP/1.1\r\n\r\n", "POST /v1/up HTTP/1.1\r\nContent-Length: -5\r\n\r\n", "\u{0}\u{1}\r\n\r\n",
            ] {
                let fd = try Raw.connect(socket)
                defer { close(fd) }
                try Raw.send(fd, garbage)
                #expect(try await Raw.readsEndOfFile(fd, within: 20))
            }
            #expect(try await DaemonConnection(socketPath: socket).call(.projects, Empty()).count <= 1)
            // Only the root and the socket beside it: nothing escaped.
            let beside = try FileManager.default.contentsOfDirectory(
                atPath: (root as NSString).deletingLastPathComponent)
            #expect(beside.sorted() == ["root", "s"], "\(beside) after \(statuses)")
            let stored = (try? FileManager.default.contentsOfDirectory(atPath: root + "/projects")) ?? []
            #expect(stored.allSatisfy { $0 == "shop.json" }, "\(stored)")
        }
    }

    // MARK: Connections

    @Test func aHalfSentRequestIsClosedAfterTheTimeout() async throws {
        try await withDaemon(requestTimeout: .milliseconds(300)) { socket, _ in
            let fd = try Raw.connect(socket)
            defer { close(fd) }
            try Raw.send(fd, "POST /v1/ping HTTP/1.1\r\nHost: berthd\r\nContent-Length: 100\r\n\r\n{\"a\"")
            // berthd closes it: end of file, not the 20 s receive timeout.
            #expect(try await Raw.readsEndOfFile(fd, within: 20))
        }
    }

    @Test func anIdleConnectionIsClosedAfterTheTimeout() async throws {
        try await withDaemon(requestTimeout: .milliseconds(300)) { socket, _ in
            let fd = try Raw.connect(socket)
            defer { close(fd) }
            #expect(try await Raw.readsEndOfFile(fd, within: 20))
        }
    }

    @Test func aStreamingAnswerOutlivesTheRequestTimeout() async throws {
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let route: HTTPServer.Handler = { _ in
            let (lines, output) = AsyncThrowingStream.makeStream(of: [UInt8].self)
            let producer = Task {
                output.yield(try WireJSON.encode(StreamFrame<String, Int>.item("first")))
                for await _ in release { break }
                output.yield(try WireJSON.encode(StreamFrame<String, Int>.item("second")))
                output.yield(try WireJSON.encode(StreamFrame<String, Int>.result(2)))
                output.finish()
            }
            output.onTermination = { _ in producer.cancel() }
            return .stream(lines)
        }
        try await withScratchDirectory(prefix: "berth-dl") { directory in
            let server = try await HTTPServer.start(
                socketPath: directory.path + "/s", routes: ["/v1/logs": route],
                // Long enough for the request to arrive whole on a machine
                // the whole suite loads (300 ms cut it there).
                limits: HTTPServer.Limits(requestTimeout: .seconds(3)))
            do {
                var frames = try await DaemonConnection(socketPath: server.socketPath)
                    .frames(StreamingEndpoint<Empty, String, Int>("logs"), Empty()).makeAsyncIterator()
                var first = false
                if case .item("first")? = try await frames.next() { first = true }
                #expect(first)
                // The timeout has passed once an idle connection opened now is closed.
                let idle = try Raw.connect(server.socketPath)
                defer { close(idle) }
                #expect(try await Raw.readsEndOfFile(idle, within: 20))
                releaser.yield()
                var rest = false
                if case .item("second")? = try await frames.next(), case .result(2)? = try await frames.next() {
                    rest = true
                }
                #expect(rest, "the stream was cut after the request timeout")
            } catch {
                await server.shutdown()
                throw error
            }
            await server.shutdown()
        }
    }

    @Test func threeHundredIdleConnectionsLeaveRoomForARequest() async throws {
        try await withDaemon { socket, _ in
            var idle: [Int32] = []
            defer { idle.forEach { close($0) } }
            for _ in 0..<300 { idle.append(try Raw.connect(socket)) }
            let projects = try await DaemonConnection(socketPath: socket).call(.projects, Empty())
            #expect(projects.isEmpty)
            // The oldest idle ones made room: at most the limit are still open.
            let bounded = try await eventually(within: 60) {
                idle.filter { Raw.isOpen($0) }.count <= HTTPServer.defaultMaxConnections
            }
            #expect(bounded)
        }
    }

    @Test func aFullAcceptQueueIsRetriedNotTakenForAMissingDaemon() async throws {
        try await withScratchDirectory(prefix: "berth-dl") { directory in
            let path = directory.path + "/s"
            // A listener that never accepts, its queue filled by connections
            // that wait: the state of a berthd flooded beyond its backlog.
            let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
            defer { close(listener) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            #expect(bound == 0 && listen(listener, 0) == 0)
            var waiting: [Int32] = []
            defer { waiting.forEach { close($0) } }
            for _ in 0..<16 {
                let fd = socket(
                    AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
                waiting.append(fd)
                if connected != 0 && errno == EAGAIN { break }
            }
            let connection = DaemonConnection(socketPath: path, busyDeadline: .milliseconds(300))
            let error = try await #require(throws: BerthError.self) { try await connection.call(.ping, Empty()) }
            // Busy, not missing: the CLI starts no second berthd for it.
            #expect(error.code == .daemonBusy, "\(error)")
        }
    }

    // MARK: Fixtures

    /// A daemon over the fake runtime (with `busybox`) serving on a socket
    /// in a fresh directory; `root` is its root.
    func withDaemon(
        requestTimeout: Duration = .seconds(30), _ body: (_ socket: String, _ root: String) async throws -> Void
    ) async throws {
        try await withScratchDirectory(prefix: "berth-dl") { directory in
            let root = directory.path + "/root"
            let runtime = FakeRuntime(images: ["busybox"])
            let service = DaemonService(
                runtime: runtime, supervisor: SupervisorService(runtime: runtime), names: nil, root: root,
                info: DaemonInfo(version: "test", pid: 1, root: root, socket: directory.path + "/s"),
                logger: Logger(label: "test"))
            let table = DaemonRoutes.table(service)
            let server = try await HTTPServer.start(
                socketPath: directory.path + "/s", routes: table.handlers, sessions: table.sessions,
                limits: HTTPServer.Limits(requestTimeout: requestTimeout))
            do {
                try await body(server.socketPath, root)
            } catch {
                await server.shutdown()
                throw error
            }
            await server.shutdown()
        }
    }

    /// A valid `up` of one service `web` in project `shop`, as a JSON object.
    static func upRequest() throws -> [String: Any] {
        let project = try DaemonServiceTests.project(
            """
            name: shop
            services:
              web:
                image: busybox
                ports: ["8080:80"]
                environment: {GREETING: hello}
            volumes:
              data: {}
            """)
        let data = try WireJSON.encode(UpRequest(project: project))
        guard let object = try JSONSerialization.jsonObject(with: Data(data)) as? [String: Any] else {
            throw BerthError(.init("test"), "an UpRequest is not a JSON object")
        }
        return object
    }

    static func port(target: Int, published: String? = nil) -> [String: Any] {
        var port: [String: Any] = ["target": target, "protocol": "tcp", "mode": "ingress"]
        if let published { port["published"] = published }
        return port
    }

    func post(_ path: String, _ body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: berthd\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The request's `project` object.
    fileprivate var project: [String: Any] {
        get { self["project"] as? [String: Any] ?? [:] }
        set { self["project"] = newValue }
    }

    /// The project's service `web`.
    fileprivate var web: [String: Any] {
        get { (project["services"] as? [String: Any])?["web"] as? [String: Any] ?? [:] }
        set {
            var services = project["services"] as? [String: Any] ?? [:]
            services["web"] = newValue
            project["services"] = services
        }
    }
}

/// Blocking unix-socket clients, for what `DaemonConnection` never does.
enum Raw {
    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BerthError(.init("test"), "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8).prefix($0.count - 1)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw BerthError(.init("test"), "connect \(path): errno \(errno)")
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw BerthError(.init("test"), "write: errno \(errno)")
        }
    }

    /// Whether the server closes `fd` (end of file, or a reset) within
    /// `seconds`; data that arrives is skipped.
    static func readsEndOfFile(_ fd: Int32, within seconds: Double) async throws -> Bool {
        try await TransportTests.RawSocket.onOwnThread {
            var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 { continue }
                if count == 0 || errno == ECONNRESET { return true }
                throw BerthError(.init("test"), "still open after \(seconds) s (errno \(errno))")
            }
        }
    }

    /// Whether the server has not closed `fd` yet (nothing to read, no end of file).
    static func isOpen(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) < 0 && errno == EAGAIN
    }

    /// One request and its answer, as `TransportTests.RawSocket` reads it.
    static func exchange(_ path: String, _ request: String) async throws -> TransportTests.RawSocket.Answer {
        try await TransportTests.RawSocket.exchange(path, request)
    }
}

/// A small deterministic generator, so a failing fuzz round comes back the same.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        // splitmix64
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Mutations of a JSON value: one node somewhere in it replaced by a value
/// a hostile client would send.
enum Fuzz {
    static var values: [Any] {
        [
            -5, 0, 70000, 1 << 62, -(1 << 62), "", "../../fuzz", "a\u{0}b", String(repeating: "x", count: 300),
            "A=B", NSNull(), [Any](), [String: Any](), true, 1.5, "-5", "web",
        ]
    }

    static func mutate(_ value: inout Any, using random: inout SeededRandom) {
        switch value {
        case var object as [String: Any] where !object.isEmpty && random.next(below: 5) != 0:
            let keys = object.keys.sorted()
            let key = keys[random.next(below: keys.count)]
            if random.next(below: 8) == 0 {
                // A key of the hostile kind.
                object[values[random.next(below: values.count)] as? String ?? "=", default: 1] = object[key] ?? 1
                object[key] = nil
            } else {
                var child = object[key] ?? NSNull()
                mutate(&child, using: &random)
                object[key] = child
            }
            value = object
        case var array as [Any] where !array.isEmpty && random.next(below: 5) != 0:
            let index = random.next(below: array.count)
            mutate(&array[index], using: &random)
            value = array
        default:
            value = values[random.next(below: values.count)]
        }
    }
}
