import EmbeddedDNS
import NIOCore
import Testing

@Suite("DNS message codec")
struct CodecTests {
    static func sampleReply() throws -> DNSMessage {
        let web = try DNSName("web.shop")
        return DNSMessage(
            id: 0xBEEF, isResponse: true, isAuthoritative: true, recursionDesired: true, recursionAvailable: true,
            checkingDisabled: true, responseCode: .noError,
            questions: [DNSQuestion(name: web, type: .a)],
            answers: [
                DNSResourceRecord(name: web, ttl: 600, data: .a(try ip("192.0.2.1"))),
                DNSResourceRecord(name: web, ttl: 600, data: .a(try ip("192.0.2.2"))),
                DNSResourceRecord(name: try DNSName("www.shop"), ttl: 60, data: .cname(web)),
                DNSResourceRecord(
                    name: web, ttl: 5,
                    data: .aaaa(IPv6Address(high: 0x2001_0db8_0000_0000, low: 1))),
                DNSResourceRecord(
                    name: try DNSName("1.2.0.192.in-addr.arpa"), ttl: 600, data: .ptr(try DNSName("shop-web-1"))),
            ],
            authorities: [
                DNSResourceRecord(
                    name: try DNSName("shop"), ttl: 3600,
                    data: .soa(
                        DNSSOA(
                            primary: try DNSName("ns.shop"), mailbox: try DNSName("admin.shop"), serial: 7,
                            refresh: 1, retry: 2, expire: 3, minimum: 4))),
                DNSResourceRecord(name: try DNSName("shop"), ttl: 3600, data: .ns(try DNSName("ns.shop"))),
            ],
            additionals: [
                DNSResourceRecord(
                    name: try DNSName("shop"), recordClass: .internet, ttl: 1,
                    data: .other(type: .txt, bytes: [5] + Array("hello".utf8)))
            ],
            edns: EDNS(
                udpPayloadSize: 1232, dnssecOK: true, options: [.init(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])]))
    }

    @Test("every section and record type survives an encode and decode")
    func roundTrip() throws {
        let message = try Self.sampleReply()
        let decoded = try DNSMessage(decoding: try message.encoded())
        #expect(decoded == message)
    }

    @Test("a query with no OPT round-trips and keeps its flags")
    func queryRoundTrip() throws {
        let query = DNSMessage(
            id: 7, opcode: .query, recursionDesired: true,
            questions: [DNSQuestion(name: try DNSName("DB.Shop."), type: .aaaa)])
        let decoded = try DNSMessage(decoding: try query.encoded())
        #expect(decoded == query)
        #expect(decoded.questions.first?.name.description == "DB.Shop.")
        #expect(decoded.edns == nil)
    }

    @Test("repeated names are written as pointers to their first occurrence")
    func compression() throws {
        let name = try DNSName("service.network")
        var message = DNSMessage(id: 1, isResponse: true, questions: [DNSQuestion(name: name, type: .a)])
        for index in 0..<10 {
            message.answers.append(
                DNSResourceRecord(name: name, ttl: 1, data: .a(IPv4Address(rawValue: UInt32(index)))))
        }
        let bytes = Array(try message.encoded().readableBytesView)
        // Header 12 + question (17 + 4) + 10 answers of pointer 2 + 10 fixed + 4 address.
        #expect(bytes.count == 12 + 21 + 10 * 16)
        // The first answer's owner is a pointer to offset 12, the question's name.
        #expect(bytes[33] == 0xC0 && bytes[34] == 12)
        // A name sharing only a suffix points into the middle of an earlier one.
        message.answers = [DNSResourceRecord(name: try DNSName("other.network"), ttl: 1, data: .cname(name))]
        let suffixed = Array(try message.encoded().readableBytesView)
        #expect(suffixed[33] == 5)  // "other"
        #expect(suffixed[39] == 0xC0 && suffixed[40] == 12 + 8)  // → "network" inside the question
        #expect(try DNSMessage(decoding: .init(bytes: suffixed)) == message)
    }

    @Test("an extended response code travels in the OPT record")
    func extendedResponseCode() throws {
        var message = DNSMessage(id: 2, isResponse: true, responseCode: .badVersion, edns: EDNS(udpPayloadSize: 4096))
        let decoded = try DNSMessage(decoding: try message.encoded())
        #expect(decoded.responseCode == .badVersion)
        message.edns = nil
        #expect(throws: DNSError.self) { try message.encoded() }
    }

    @Test("a reply over the size limit keeps the answers that fit, sets TC and keeps the OPT")
    func truncation() throws {
        let name = try DNSName("big.shop")
        var message = DNSMessage(
            id: 3, isResponse: true, questions: [DNSQuestion(name: name, type: .a)], edns: EDNS(udpPayloadSize: 512))
        for index in 0..<100 {
            message.answers.append(
                DNSResourceRecord(name: name, ttl: 1, data: .a(IPv4Address(rawValue: UInt32(index)))))
        }
        var buffer = ByteBuffer()
        let cut = try message.encode(into: &buffer, maxSize: 512)
        #expect(cut)
        #expect(buffer.readableBytes <= 512)
        let decoded = try DNSMessage(decoding: buffer)
        #expect(decoded.isTruncated)
        #expect(decoded.edns == message.edns)
        // (512 - 12 header - 14 question - 11 OPT) / 16 bytes per answer.
        #expect(decoded.answers.count == (512 - 12 - 14 - 11) / 16)
        #expect(decoded.answers == Array(message.answers.prefix(decoded.answers.count)))

        let whole = try DNSMessage(decoding: try message.encoded())
        #expect(!whole.isTruncated)
        #expect(whole.answers.count == 100)
    }

    @Test("additional records that do not fit are dropped without TC")
    func additionalsDroppedQuietly() throws {
        let name = try DNSName("x")
        var message = DNSMessage(id: 4, isResponse: true, questions: [DNSQuestion(name: name, type: .a)])
        message.answers = [DNSResourceRecord(name: name, ttl: 1, data: .a(IPv4Address(rawValue: 1)))]
        message.additionals = (0..<60).map {
            DNSResourceRecord(name: name, ttl: 1, data: .a(IPv4Address(rawValue: UInt32($0))))
        }
        let decoded = try DNSMessage(decoding: try message.encoded(maxSize: 512))
        #expect(!decoded.isTruncated)
        #expect(decoded.answers.count == 1)
        #expect(decoded.additionals.count < 60)
    }

    @Test("encoding appends after bytes already in the buffer, with pointers relative to the message")
    func encodesAfterPrefix() throws {
        let message = try Self.sampleReply()
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(0xFFFF))  // a TCP length prefix
        try message.encode(into: &buffer)
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try DNSMessage(decoding: buffer) == message)
    }
}
