import Logging
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import EmbeddedDNS

/// The responder's decisions, without sockets: validation, EDNS0 handling
/// and the size limit per transport.
@Suite("Responder")
struct ResponderTests {
    static func responder() throws -> DNSResponder {
        let records = DNSRecords()
        try records.set(
            network: "a", subnet: try subnet("127.0.0.0/8"),
            records: ["big": (1...100).map { IPv4Address(198, 18, 0, UInt8($0)) }, "web": [try ip("192.0.2.1")]])
        return DNSResponder(
            resolver: CompositeResolver([TableResolver(records: records), NameErrorResolver()]),
            recursionAvailable: false, maxUDPPayloadSize: 4096, logger: Logger(label: "test"))
    }

    static func reply(to query: DNSMessage, over transport: DNSTransport = .udp) throws -> DNSMessage? {
        let outcome = try responder().respond(
            to: try query.encoded(), from: try SocketAddress(ipAddress: "127.0.0.2", port: 1000), local: nil,
            transport: transport, on: MultiThreadedEventLoopGroup.singleton.next())
        guard case .now(let bytes) = outcome else { throw TestFailure("expected an immediate reply") }
        return try bytes.map { try DNSMessage(decoding: $0) }
    }

    static func query(_ name: String, edns: EDNS? = nil) throws -> DNSMessage {
        DNSMessage(
            id: 42, recursionDesired: true, questions: [DNSQuestion(name: try DNSName(name), type: .a)], edns: edns)
    }

    @Test("an OPT in the query gets an OPT in the reply; no OPT, none back")
    func ednsEcho() throws {
        let withOPT = try #require(try Self.reply(to: try Self.query("web", edns: EDNS(udpPayloadSize: 1232))))
        #expect(withOPT.edns?.udpPayloadSize == 4096)
        #expect(withOPT.id == 42 && withOPT.recursionDesired && withOPT.isResponse)
        let without = try #require(try Self.reply(to: try Self.query("web")))
        #expect(without.edns == nil)
    }

    @Test("an EDNS version other than 0 gets BADVERS, carried by the OPT")
    func badVersion() throws {
        let reply = try #require(
            try Self.reply(to: try Self.query("web", edns: EDNS(udpPayloadSize: 1232, version: 1))))
        #expect(reply.responseCode == .badVersion)
        #expect(reply.edns != nil)
    }

    @Test("the UDP limit is 512 without EDNS, the client's size with it, capped; TCP takes all")
    func limits() throws {
        let plain = try #require(try Self.reply(to: try Self.query("big")))
        #expect(plain.isTruncated && plain.answers.count == (512 - 12 - 9) / 16)
        let small = try #require(try Self.reply(to: try Self.query("big", edns: EDNS(udpPayloadSize: 100))))
        #expect(small.isTruncated && small.answers.count == (512 - 12 - 9 - 11) / 16)
        let large = try #require(try Self.reply(to: try Self.query("big", edns: EDNS(udpPayloadSize: 65000))))
        #expect(!large.isTruncated && large.answers.count == 100)
        let tcp = try #require(try Self.reply(to: try Self.query("big"), over: .tcp))
        #expect(!tcp.isTruncated && tcp.answers.count == 100)
    }

    @Test("other opcodes get NOTIMP, two questions FORMERR, and replies no answer")
    func validation() throws {
        var notify = try Self.query("web")
        notify.opcode = .notify
        #expect(try Self.reply(to: notify)?.responseCode == .notImplemented)
        var two = try Self.query("web")
        two.questions.append(DNSQuestion(name: try DNSName("big"), type: .a))
        #expect(try Self.reply(to: two)?.responseCode == .formatError)
        var none = try Self.query("web")
        none.questions = []
        #expect(try Self.reply(to: none)?.responseCode == .formatError)
        var response = try Self.query("web")
        response.isResponse = true
        #expect(try Self.reply(to: response) == nil)
    }

    @Test("a relayed upstream reply too big for the client becomes an empty reply with TC")
    func oversizedRelay() throws {
        let query = try Self.query("elsewhere.example")
        var upstream = DNSMessage(replyingTo: query)
        upstream.answers = (0..<100).map {
            DNSResourceRecord(name: query.questions[0].name, ttl: 1, data: .a(IPv4Address(rawValue: UInt32($0))))
        }
        let bytes = try Self.responder().encode(.wire(try upstream.encoded()), for: query, limit: 512)
        let reply = try DNSMessage(decoding: try #require(bytes))
        #expect(reply.isTruncated && reply.answers.isEmpty && reply.id == 42)
        #expect(reply.questions == query.questions)
    }
}
