import Glibc
import HostOS
import NIOCore
import NIOPosix
import Synchronization

@testable import RuntimeLinux

/// Where a test server listens: an address in this namespace, or a socket
/// already bound inside a container's namespace (a socket stays in the
/// namespace it was created in, whichever thread later uses it).
enum Listening {
    case address(SocketAddress)
    case socket(Int32)
}

/// A socket bound to 0.0.0.0:`port` inside `namespace` (listening, for
/// TCP), made on a thread that entered it; NIO serves it from ours.
func socketInside(_ namespace: NetworkNamespace, udp: Bool, port: UInt16) throws -> Int32 {
    try namespace.runBlocking {
        let fd = try Syscall.check("socket") {
            socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if bound != 0 || (!udp && listen(fd, 4096) != 0) {
            let failure = errno
            close(fd)
            throw HostOSError(.syscall, "bind test socket in \(namespace.path)", errno: failure)
        }
        return fd
    }
}

/// Servers the port tests forward to, on NIO.
enum TestServer {
    /// Answers every request `HTTP/1.1 200 OK` with body `ok`, then closes;
    /// counts the connections it accepted.
    static func http(_ listening: Listening, group: any EventLoopGroup, accepted: Counter) async throws -> any Channel {
        try await stream(listening, group: group) { channel in
            accepted.increment()
            return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(HTTPOK()) }
        }
    }

    /// Echoes every byte; answers an EOF with its own FIN after the echo.
    static func echo(_ listening: Listening, group: any EventLoopGroup) async throws -> any Channel {
        try await stream(listening, group: group) { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Echo()) }
        }
    }

    /// Answers each datagram with `<sender port> <payload>`, so a test sees
    /// which proxy flow (source port) it came through.
    static func udpEcho(_ listening: Listening, group: any EventLoopGroup) async throws -> any Channel {
        let bootstrap = DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPEcho()) }
            }
        switch listening {
        case .address(let address): return try await bootstrap.bind(to: address).get()
        case .socket(let fd): return try await bootstrap.withBoundSocket(fd).get()
        }
    }

    private static func stream(
        _ listening: Listening, group: any EventLoopGroup,
        _ initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer(initializer)
        switch listening {
        case .address(let address): return try await bootstrap.bind(to: address).get()
        case .socket(let fd): return try await bootstrap.withBoundSocket(fd).get()
        }
    }
}

/// A count shared between event loops and the test.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)

    func increment() { atomic.add(1, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .relaxed) }
}

private final class HTTPOK: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var request: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        request += unwrapInboundIn(data).readableBytesView
        guard request.count >= 4, request.suffix(4) == Array("\r\n\r\n".utf8) else { return }
        let response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

private final class Echo: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else { return }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

private final class UDPEcho: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        var reply = ByteBuffer(string: "\(envelope.remoteAddress.port ?? 0) ")
        reply.writeImmutableBuffer(envelope.data)
        context.writeAndFlush(
            wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: reply)), promise: nil)
    }
}

/// Plain blocking-socket clients for the port tests, each call on its own
/// thread (`DedicatedThread`), never on Swift's cooperative pool.
enum SocketClient {
    /// Connects to `host:port`, writes `payload` while reading, shuts down
    /// its write side when done, and returns everything read up to EOF.
    /// Writing and reading at once is what makes a large echo possible at
    /// all: done in turn, both sides would block on full buffers.
    static func exchange(_ host: String, _ port: UInt16, sending payload: [UInt8]) async throws -> [UInt8] {
        let fd = try connect(host, port, udp: false)
        defer { close(fd) }
        async let written: Void = DedicatedThread.run {
            var offset = 0
            while offset < payload.count {
                let count = payload[offset...].withUnsafeBytes {
                    send(fd, $0.baseAddress, min($0.count, 65_536), Int32(MSG_NOSIGNAL))
                }
                if count < 0 { throw HostOSError(.syscall, "send to \(host):\(port)", errno: errno) }
                offset += count
            }
            try Syscall.check("shutdown") { shutdown(fd, Int32(SHUT_WR)) }
        }
        let received = try await DedicatedThread.run {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 { throw HostOSError(.syscall, "recv from \(host):\(port)", errno: errno) }
                if count == 0 { return bytes }
                bytes += chunk[0..<count]
            }
        }
        try await written
        return received
    }

    /// Whether a TCP connect to `host:port` succeeds.
    static func canConnect(_ host: String, _ port: UInt16) -> Bool {
        guard let fd = try? connect(host, port, udp: false) else { return false }
        close(fd)
        return true
    }

    /// A socket connected to `host:port` (UDP: a default destination), with
    /// a 3 s receive timeout so a lost datagram fails the test, not hangs it.
    static func connect(_ host: String, _ port: UInt16, udp: Bool) throws -> Int32 {
        let type = udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let fd = try Syscall.check("socket") { socket(family, Int32(type) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        /// connect(2) to a sockaddr_in or sockaddr_in6.
        func connect<Address>(to address: Address) -> Int32 {
            withUnsafePointer(to: address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size))
                }
            }
        }
        let rc: Int32
        if family == AF_INET6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            rc = connect(to: address)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            rc = connect(to: address)
        }
        if rc != 0 {
            let failure = errno
            close(fd)
            throw HostOSError(.syscall, "connect to \(host):\(port)", errno: failure)
        }
        return fd
    }
}

/// A UDP client with one source port for its whole life, as a real client
/// (a DNS resolver, a game) has: the proxy keeps one flow for it.
final class UDPClient: Sendable {
    let fd: Int32

    init(_ host: String, _ port: UInt16) throws {
        fd = try SocketClient.connect(host, port, udp: true)
    }

    deinit { close(fd) }

    /// Sends `text` and returns the reply, or throws after the timeout.
    func ask(_ text: String) async throws -> String {
        try await DedicatedThread.run { [fd] in
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var reply = [UInt8](repeating: 0, count: 65_536)
            let count = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw HostOSError(.syscall, "no UDP reply to \"\(text)\"", errno: errno) }
            return String(decoding: reply[0..<count], as: UTF8.self)
        }
    }
}
