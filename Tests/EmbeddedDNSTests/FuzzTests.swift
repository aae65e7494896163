import Logging
import NIOCore
import NIOPosix
import Testing

@testable import EmbeddedDNS

/// A small, seeded generator, so that a failing packet can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Fuzzing the decoder and the responder")
struct FuzzTests {
    /// Valid packets to mutate: a rich reply, a query with EDNS, a PTR query.
    static func seeds() throws -> [[UInt8]] {
        let query = DNSMessage(
            id: 9, recursionDesired: true, questions: [DNSQuestion(name: try DNSName("web.shop"), type: .a)],
            edns: EDNS(udpPayloadSize: 1232, options: [.init(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])]))
        let ptr = DNSMessage(
            id: 10, questions: [DNSQuestion(name: DNSName(reversePointerFor: try ip("192.0.2.1")), type: .ptr)])
        return try [CodecTests.sampleReply(), query, ptr].map { Array(try $0.encoded().readableBytesView) }
    }

    /// One packet: pure noise, or a seed with a few bytes flipped, cut,
    /// inserted or duplicated (mutations keep most of the structure, so they
    /// reach deeper into the decoder than noise does).
    static func packet(_ random: inout SplitMix64, seeds: [[UInt8]]) -> [UInt8] {
        if Int.random(in: 0..<10, using: &random) == 0 {
            return (0..<Int.random(in: 0..<64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        var bytes = seeds[Int.random(in: 0..<seeds.count, using: &random)]
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            case 1: bytes[index] = UInt8.random(in: 0...255, using: &random)
            case 2: bytes.removeSubrange(index...)
            case 3: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
            case 4: bytes[index] = [0xC0, 0x3F, 0x40, 0x00, 0xFF][Int.random(in: 0..<5, using: &random)]
            default: bytes.insert(contentsOf: bytes[index...].prefix(8), at: index)
            }
        }
        return bytes
    }

    @Test("10,000 random and mutated packets: decoding never crashes, and what decodes re-encodes to itself")
    func decoderFuzz() throws {
        var random = SplitMix64(state: 0x5EED_BE27)
        let seeds = try Self.seeds()
        var decoded = 0
        for _ in 0..<10_000 {
            let bytes = Self.packet(&random, seeds: seeds)
            guard let message = try? DNSMessage(decoding: ByteBuffer(bytes: bytes)) else { continue }
            decoded += 1
            // A decoded message is valid, so it must encode (it came from at
            // most 64 KiB with names no longer than 255) and decode back.
            let again = try DNSMessage(decoding: try message.encoded())
            #expect(again == message, "packet \(bytes)")
        }
        // Mutations must leave a fair share decodable, or the test would only
        // exercise the first few bytes of the decoder.
        #expect(decoded > 500)
    }

    @Test("10,000 random and mutated packets through the responder: no crash, every reply decodes")
    func responderFuzz() throws {
        let records = DNSRecords()
        try records.set(
            network: "net", subnet: try subnet("127.0.0.0/8"),
            records: ["web.shop": [try ip("192.0.2.1"), try ip("192.0.2.2")]])
        let responder = DNSResponder(
            resolver: CompositeResolver([TableResolver(records: records), NameErrorResolver()]),
            recursionAvailable: false, maxUDPPayloadSize: 4096, logger: Logger(label: "fuzz"))
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let source = try SocketAddress(ipAddress: "127.0.0.2", port: 5353)
        var random = SplitMix64(state: 0xD15C0)
        let seeds = try Self.seeds()
        var replies = 0
        for round in 0..<10_000 {
            let bytes = Self.packet(&random, seeds: seeds)
            let transport: DNSTransport = round.isMultiple(of: 2) ? .udp : .tcp
            let outcome = responder.respond(
                to: ByteBuffer(bytes: bytes), from: source, local: nil, transport: transport, on: eventLoop)
            guard case .now(let reply) = outcome else {
                Issue.record("table answers should be immediate")
                continue
            }
            guard let reply else { continue }
            replies += 1
            #expect(reply.readableBytes <= (transport == .udp ? 4096 : 65535))
            let message = try DNSMessage(decoding: reply)
            #expect(message.isResponse)
        }
        #expect(replies > 5000)
    }
}
