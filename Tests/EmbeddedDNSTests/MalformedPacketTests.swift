import BerthModel
import EmbeddedDNS
import NIOCore
import Testing

/// Packets an attacker or a broken client could send. Each must be refused
/// with a `DNSError` of the right code, never a crash or a hang.
@Suite("Malformed packets")
struct MalformedPacketTests {
    /// A header for a query with the given counts.
    static func header(qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
        [0x12, 0x34, 0x01, 0x00] + [qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    static func decode(_ bytes: [UInt8]) throws(DNSError) -> DNSMessage {
        try DNSMessage(decoding: ByteBuffer(bytes: bytes))
    }

    static func expectCode(
        _ code: BerthError.Code, _ bytes: [UInt8], sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        do {
            let message = try decode(bytes)
            Issue.record("decoded \(message) instead of failing with \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    static let aQuestion: [UInt8] = [3, 0x77, 0x65, 0x62, 0, 0, 1, 0, 1]  // web A IN

    @Test("an empty packet and every cut of a valid one are truncated, not crashes")
    func truncated() throws {
        Self.expectCode(.dnsTruncated, [])
        let whole = Array(try CodecTests.sampleReply().encoded().readableBytesView)
        for length in 0..<whole.count {
            #expect(throws: DNSError.self) { try Self.decode(Array(whole[..<length])) }
        }
        #expect(throws: Never.self) { try Self.decode(whole) }
    }

    @Test("a header that promises more questions than the packet has")
    func overclaimedCounts() {
        Self.expectCode(.dnsTruncated, Self.header(qd: 65535, an: 65535, ns: 65535, ar: 65535) + Self.aQuestion)
    }

    @Test("a pointer to itself, a pointer forward and a two-pointer loop are refused")
    func compressionLoops() {
        // Question name at offset 12 is a pointer to offset 12.
        Self.expectCode(.dnsBadPointer, Self.header() + [0xC0, 12, 0, 1, 0, 1])
        // A pointer forward, to offset 14.
        Self.expectCode(.dnsBadPointer, Self.header() + [0xC0, 14, 0, 0, 1, 0, 1])
        // A label, then a pointer back to that label: "a.a.a…" forever.
        Self.expectCode(.dnsBadPointer, Self.header() + [1, 0x61, 0xC0, 12, 0, 1, 0, 1])
        // Two names pointing at each other: the second points back to the
        // first, whose pointer then points forward to the second.
        let loop: [UInt8] = Self.header(qd: 2) + [0xC0, 18, 0, 1, 0, 1] + [0xC0, 12, 0, 1, 0, 1]
        Self.expectCode(.dnsBadPointer, loop)
        // A pointer past the end of the packet.
        Self.expectCode(.dnsBadPointer, Self.header() + [0xFF, 0xFF, 0, 1, 0, 1])
    }

    @Test("a pointer chain walking backwards is fine until the name exceeds 255 bytes")
    func longPointerChain() throws {
        // Name i is a 10-byte label followed by a pointer to name i-1.
        var bytes = Self.header(qd: 40)
        var previous: Int?
        for _ in 0..<40 {
            let offset = bytes.count
            bytes += [10] + Array(repeating: UInt8(ascii: "x"), count: 10)
            if let previous { bytes += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)] } else { bytes += [0] }
            bytes += [0, 1, 0, 1]
            previous = offset
        }
        Self.expectCode(.dnsNameTooLong, bytes)
    }

    @Test("a label over 63 bytes or of a reserved type is refused")
    func badLabels() {
        Self.expectCode(.dnsBadLabel, Self.header() + [64] + Array(repeating: 0x61, count: 64) + [0, 0, 1, 0, 1])
        Self.expectCode(.dnsBadLabel, Self.header() + [0x80, 0, 0, 1, 0, 1])
        Self.expectCode(.dnsBadLabel, Self.header() + [0x41, 0, 0, 1, 0, 1])
    }

    @Test("a name over 255 bytes is refused")
    func nameTooLong() {
        let labels: [UInt8] = (0..<5).flatMap { _ -> [UInt8] in [63] + Array(repeating: UInt8(0x61), count: 63) }
        Self.expectCode(.dnsNameTooLong, Self.header() + labels + [0, 0, 1, 0, 1])
    }

    @Test("a zero-length name is the root and a zero-length record data is judged by type")
    func zeroLengths() throws {
        let root = try Self.decode(Self.header() + [0, 0, 2, 0, 1])
        #expect(root.questions.first?.name == DNSName.root)
        // An A record with no data.
        Self.expectCode(.dnsBadRecord, Self.header(qd: 0, an: 1) + [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])
        // A TXT record with no data is allowed (raw bytes).
        let empty = try Self.decode(Self.header(qd: 0, an: 1) + [0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(empty.answers.first?.data == .other(type: .txt, bytes: []))
    }

    @Test("record data that disagrees with its type or length is refused")
    func badRecordData() {
        let record: [UInt8] = [0, 0, 1, 0, 1, 0, 0, 0, 0]  // root A IN ttl 0
        Self.expectCode(.dnsBadRecord, Self.header(qd: 0, an: 1) + record + [0, 5, 1, 2, 3, 4, 5])
        Self.expectCode(.dnsTruncated, Self.header(qd: 0, an: 1) + record + [0, 4, 1, 2])
        // A CNAME whose name runs past its declared length.
        Self.expectCode(
            .dnsBadRecord, Self.header(qd: 0, an: 1) + [0, 0, 5, 0, 1, 0, 0, 0, 0] + [0, 2, 3, 0x61, 0x62, 0x63, 0])
    }

    @Test("OPT records: a second one, one in the answers, one not owned by the root")
    func badOPT() {
        let opt: [UInt8] = [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]
        Self.expectCode(.dnsBadOPT, Self.header(qd: 0, ar: 2) + opt + opt)
        Self.expectCode(.dnsBadOPT, Self.header(qd: 0, an: 1) + opt)
        Self.expectCode(.dnsBadOPT, Self.header(qd: 0, ar: 1) + [1, 0x61] + opt)
        // An option claiming more bytes than the record holds.
        Self.expectCode(.dnsBadOPT, Self.header(qd: 0, ar: 1) + [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 9])
    }

    @Test("bytes after the last record are refused")
    func trailingData() {
        Self.expectCode(.dnsTrailingData, Self.header() + Self.aQuestion + [0])
    }
}
