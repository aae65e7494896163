import EmbeddedDNS
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// The server's lifecycle and its TCP framing, checked with NIO clients
/// rather than dig, so these run wherever loopback does.
@Suite("Server lifecycle and TCP framing")
struct ServerLifecycleTests {
    static func records() throws -> DNSRecords {
        let records = DNSRecords()
        try records.set(network: "a", subnet: try subnet("127.0.0.0/8"), records: ["web": [try ip("192.0.2.11")]])
        return records
    }

    @Test("a start that cannot bind leaves the server idle, and a shut-down server stays down")
    func lifecycle() async throws {
        let records = try Self.records()
        try await withServer(DNSServer.Configuration(records: records)) { _, port in
            let second = DNSServer(configuration: DNSServer.Configuration(records: records))
            let taken = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            await #expect(throws: DNSError.self) { try await second.start(addresses: [taken]) }
            #expect(await second.listeningAddresses.isEmpty)
            // Idle again: a start on a free port works.
            let bound = try await second.start(addresses: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)])
            #expect(bound.count == 1)
            await #expect(throws: DNSError.self) { try await second.start(addresses: []) }
            await second.shutdown()
            #expect(await second.listeningAddresses.isEmpty)
            await #expect(throws: DNSError.self) { try await second.start(addresses: []) }
            await #expect(throws: DNSError.self) {
                try await second.addListener(try SocketAddress(ipAddress: "127.0.0.1", port: 0))
            }
        }
    }

    @Test("two queries in one TCP write, then a half-close: both answered, then the server closes")
    func tcpPipelining() async throws {
        try await withServer(DNSServer.Configuration(records: try Self.records())) { _, port in
            var payload = ByteBuffer()
            for (id, name) in [(UInt16(1), "web"), (UInt16(2), "nothing.example")] {
                let query = DNSMessage(id: id, questions: [DNSQuestion(name: try DNSName(name), type: .a)])
                let wire = try query.encoded()
                payload.writeInteger(UInt16(wire.readableBytes))
                payload.writeImmutableBuffer(wire)
            }
            let received = try await TCPExchange.send(
                payload, to: try SocketAddress(ipAddress: "127.0.0.1", port: port))
            var replies: [DNSMessage] = []
            var stream = received
            while let length = stream.readInteger(as: UInt16.self), let frame = stream.readSlice(length: Int(length)) {
                replies.append(try DNSMessage(decoding: frame))
            }
            #expect(stream.readableBytes == 0)
            let byID = Dictionary(uniqueKeysWithValues: replies.map { ($0.id, $0) })
            #expect(byID[1]?.answers.map(\.data) == [.a(try ip("192.0.2.11"))])
            #expect(byID[2]?.responseCode == .nameError)
        }
    }

    @Test("garbage and replies sent to the UDP listener get FORMERR or silence, and it keeps serving")
    func udpGarbage() async throws {
        try await withServer(DNSServer.Configuration(records: try Self.records())) { _, port in
            let query = DNSMessage(id: 9, questions: [DNSQuestion(name: try DNSName("web"), type: .a)])
            // From one socket, in order: 12 header bytes claiming a question
            // that is not there (FORMERR), a reply (QR set: silence), a
            // 3-byte scrap (silence), then a real query. The server answers
            // in order, so any reply to the last two would arrive before the
            // answer to the real query: no fixed wait is needed to see silence.
            let replies = try await UDPExchange.send(
                [
                    ByteBuffer(bytes: [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
                    ByteBuffer(bytes: [0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                    ByteBuffer(bytes: [1, 2, 3]),
                    try query.encoded(),
                ], untilReplyTo: 9, to: try SocketAddress(ipAddress: "127.0.0.1", port: port))
            let messages = try replies.map { try DNSMessage(decoding: $0) }
            #expect(messages.map(\.id) == [0xABCD, 9])
            #expect(messages.first?.responseCode == .formatError)
            #expect(messages.last?.answers.count == 1)
        }
    }
}

/// Sends bytes over one TCP connection, half-closes it, and returns all
/// that comes back before the server closes.
enum TCPExchange {
    /// A deadline, not a wait: on a quiet machine the reply comes in
    /// milliseconds, but when the whole suite starts at once on two cores
    /// the event loops can be starved for tens of seconds.
    static let deadline = TimeAmount.seconds(60)

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var received = ByteBuffer()
        private let promise: EventLoopPromise<ByteBuffer>
        init(promise: EventLoopPromise<ByteBuffer>) { self.promise = promise }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = unwrapInboundIn(data)
            received.writeBuffer(&chunk)
        }
        func channelInactive(context: ChannelHandlerContext) { promise.succeed(received) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { promise.fail(error) }
    }

    static func send(_ payload: ByteBuffer, to address: SocketAddress) async throws -> ByteBuffer {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = eventLoop.makePromise(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: promise))
                }
            }
            .connect(to: address).get()
        let timeout = eventLoop.scheduleTask(in: deadline) { promise.fail(TestFailure("no close within \(deadline)")) }
        do {
            try await channel.writeAndFlush(payload)
            try await channel.close(mode: .output)
            let received = try await promise.futureResult.get()
            timeout.cancel()
            return received
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

/// Sends datagrams from one fresh socket and collects every reply until the
/// one with a given id arrives (within `TCPExchange.deadline`).
enum UDPExchange {
    final class Collector: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        private var received: [ByteBuffer] = []
        private let id: UInt16
        private let promise: EventLoopPromise<[ByteBuffer]>
        init(id: UInt16, promise: EventLoopPromise<[ByteBuffer]>) {
            self.id = id
            self.promise = promise
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let reply = unwrapInboundIn(data).data
            received.append(reply)
            if reply.getInteger(at: reply.readerIndex, as: UInt16.self) == id { promise.succeed(received) }
        }
    }

    static func send(_ datagrams: [ByteBuffer], untilReplyTo id: UInt16, to address: SocketAddress) async throws
        -> [ByteBuffer]
    {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = eventLoop.makePromise(of: [ByteBuffer].self)
        let channel = try await DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(id: id, promise: promise))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let timeout = eventLoop.scheduleTask(in: TCPExchange.deadline) {
            promise.fail(TestFailure("no reply to \(id) within \(TCPExchange.deadline)"))
        }
        for datagram in datagrams {
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: datagram))
        }
        do {
            let replies = try await promise.futureResult.get()
            timeout.cancel()
            try await channel.close()
            return replies
        } catch {
            try? await channel.close()
            throw error
        }
    }
}
