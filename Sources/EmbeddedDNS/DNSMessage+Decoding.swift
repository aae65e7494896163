import BerthModel
import NIOCore

extension DNSMessage {
    /// Decodes the readable bytes of `buffer` as one message.
    ///
    /// Input comes from anyone who can send a datagram, so every read is
    /// bounds-checked and every limit enforced: a short packet, a label over
    /// 63 bytes, a name over 255, a compression pointer that does not point
    /// strictly backwards (which is what makes loops impossible), a record
    /// whose data does not match its type, a second OPT, or bytes after the
    /// last record all throw a `DNSError` naming the offset.
    public init(decoding buffer: ByteBuffer) throws(DNSError) {
        var reader = WireReader(buffer)
        self = try reader.readMessage(questionsOnly: false)
    }

    /// Decodes only the header and the questions, leaving the records unread:
    /// enough to match an upstream reply to its query without judging records
    /// the codec does not need to understand.
    static func decodeHeaderAndQuestions(_ buffer: ByteBuffer) throws(DNSError) -> DNSMessage {
        var reader = WireReader(buffer)
        return try reader.readMessage(questionsOnly: true)
    }
}

/// A bounds-checked cursor over one message. Offsets in errors, and targets
/// of compression pointers, count from the message's first byte.
struct WireReader {
    private let buffer: ByteBuffer
    private let base: Int
    private let end: Int
    /// The absolute index in `buffer` of the next byte to read.
    private var position: Int

    init(_ buffer: ByteBuffer) {
        self.buffer = buffer
        base = buffer.readerIndex
        end = buffer.writerIndex
        position = buffer.readerIndex
    }

    private var offset: Int { position - base }

    private func fail(_ code: BerthError.Code, _ what: String, at offset: Int? = nil) -> DNSError {
        DNSError(code, "decoding DNS message: \(what) at offset \(offset ?? self.offset)")
    }

    private func byte(at index: Int) -> UInt8? {
        index < end ? buffer.getInteger(at: index, as: UInt8.self) : nil
    }

    mutating func readUInt16(_ what: String) throws(DNSError) -> UInt16 {
        guard position + 2 <= end, let value = buffer.getInteger(at: position, as: UInt16.self) else {
            throw fail(.dnsTruncated, "packet ends inside the \(what)")
        }
        position += 2
        return value
    }

    mutating func readUInt32(_ what: String) throws(DNSError) -> UInt32 {
        guard position + 4 <= end, let value = buffer.getInteger(at: position, as: UInt32.self) else {
            throw fail(.dnsTruncated, "packet ends inside the \(what)")
        }
        position += 4
        return value
    }

    mutating func readBytes(_ count: Int, _ what: String) throws(DNSError) -> [UInt8] {
        guard position + count <= end, let bytes = buffer.getBytes(at: position, length: count) else {
            throw fail(.dnsTruncated, "packet ends inside the \(what) (\(count) bytes announced)")
        }
        position += count
        return bytes
    }

    /// Reads a possibly compressed name (RFC 1035 §4.1.4).
    mutating func readName() throws(DNSError) -> DNSName {
        var name = DNSName.root
        // Most names fit: one allocation rather than one per label as it grows.
        name.reserveCapacity(64)
        var cursor = position
        // Where the run of labels being read began. A pointer must land before
        // it, so each jump goes strictly backwards and a loop cannot form.
        var segmentStart = position
        var jumped = false
        while true {
            guard let length = byte(at: cursor) else {
                throw fail(.dnsTruncated, "packet ends inside a name", at: cursor - base)
            }
            switch length & 0xC0 {
            case 0x00 where length == 0:
                if !jumped { position = cursor + 1 }
                return name
            case 0x00:
                let count = Int(length)
                // +1 for the terminating zero that the wire form always carries.
                guard name.wire.count + 1 + count + 1 <= DNSName.maxWireLength else {
                    throw fail(.dnsNameTooLong, "name longer than 255 bytes", at: cursor - base)
                }
                guard cursor + 1 + count <= end, let label = buffer.viewBytes(at: cursor + 1, length: count) else {
                    throw fail(.dnsTruncated, "packet ends inside a label", at: cursor - base)
                }
                name.appendLabel(label)
                cursor += 1 + count
            case 0xC0:
                guard let low = byte(at: cursor + 1) else {
                    throw fail(.dnsTruncated, "packet ends inside a compression pointer", at: cursor - base)
                }
                let target = base + (Int(length & 0x3F) << 8 | Int(low))
                guard target < segmentStart else {
                    throw fail(
                        .dnsBadPointer, "compression pointer to offset \(target - base) does not point backwards",
                        at: cursor - base)
                }
                if !jumped { position = cursor + 2 }
                jumped = true
                cursor = target
                segmentStart = target
            default:
                // 0x40 and 0x80 are extended label types (RFC 6891 §5), never
                // deployed; as lengths they would exceed 63.
                throw fail(
                    .dnsBadLabel, "label length byte 0x\(String(length, radix: 16)) (more than 63)", at: cursor - base)
            }
        }
    }

    mutating func readQuestion() throws(DNSError) -> DNSQuestion {
        let name = try readName()
        let type = DNSRecordType(rawValue: try readUInt16("question type"))
        let recordClass = DNSClass(rawValue: try readUInt16("question class"))
        return DNSQuestion(name: name, type: type, recordClass: recordClass)
    }

    /// A record, or the OPT pseudo-record as `.opt` with its raw fields.
    enum Record {
        case record(DNSResourceRecord)
        case opt(EDNS, extendedCode: UInt8)
    }

    mutating func readRecord() throws(DNSError) -> Record {
        let start = offset
        let name = try readName()
        let type = DNSRecordType(rawValue: try readUInt16("record type"))
        let classField = try readUInt16("record class")
        let ttl = try readUInt32("record TTL")
        let length = Int(try readUInt16("record data length"))
        let dataEnd = position + length
        guard dataEnd <= end else {
            throw fail(.dnsTruncated, "packet ends inside the \(type) record's \(length) data bytes")
        }
        if type == .opt {
            guard name.isRoot else { throw fail(.dnsBadOPT, "OPT record owned by \(name), not the root", at: start) }
            var options: [EDNS.Option] = []
            while position < dataEnd {
                let code = try readUInt16("EDNS option code")
                let optionLength = Int(try readUInt16("EDNS option length"))
                guard position + optionLength <= dataEnd else {
                    throw fail(.dnsBadOPT, "EDNS option \(code) runs past the OPT record")
                }
                options.append(EDNS.Option(code: code, data: try readBytes(optionLength, "EDNS option")))
            }
            let edns = EDNS(
                udpPayloadSize: classField, version: UInt8(truncatingIfNeeded: ttl >> 16),
                dnssecOK: ttl & 0x8000 != 0, options: options)
            return .opt(edns, extendedCode: UInt8(truncatingIfNeeded: ttl >> 24))
        }
        let data: DNSRecordData
        switch type {
        case .a:
            guard length == 4 else { throw fail(.dnsBadRecord, "A record with \(length) data bytes, not 4", at: start) }
            data = .a(IPv4Address(rawValue: try readUInt32("A record")))
        case .aaaa:
            guard length == 16, let address = IPv6Address(bytes: try readBytes(16, "AAAA record")) else {
                throw fail(.dnsBadRecord, "AAAA record with \(length) data bytes, not 16", at: start)
            }
            data = .aaaa(address)
        case .ptr: data = .ptr(try readName())
        case .cname: data = .cname(try readName())
        case .ns: data = .ns(try readName())
        case .soa:
            let primary = try readName()
            let mailbox = try readName()
            data = .soa(
                DNSSOA(
                    primary: primary, mailbox: mailbox, serial: try readUInt32("SOA serial"),
                    refresh: try readUInt32("SOA refresh"), retry: try readUInt32("SOA retry"),
                    expire: try readUInt32("SOA expire"), minimum: try readUInt32("SOA minimum")))
        default:
            data = .other(type: type, bytes: try readBytes(length, "\(type) record"))
        }
        guard position == dataEnd else {
            throw fail(
                .dnsBadRecord, "\(type) record data is \(length) bytes but its fields take \(offset - start)", at: start
            )
        }
        return .record(DNSResourceRecord(name: name, recordClass: DNSClass(rawValue: classField), ttl: ttl, data: data))
    }

    mutating func readMessage(questionsOnly: Bool) throws(DNSError) -> DNSMessage {
        let id = try readUInt16("header")
        let flags = try readUInt16("header")
        let counts = (
            try readUInt16("header"), try readUInt16("header"), try readUInt16("header"), try readUInt16("header")
        )
        var message = DNSMessage(
            id: id, isResponse: flags & 0x8000 != 0,
            opcode: DNSOpcode(rawValue: UInt8(truncatingIfNeeded: flags >> 11)),
            isAuthoritative: flags & 0x0400 != 0, isTruncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0,
            responseCode: DNSResponseCode(rawValue: flags & 0x000F))
        // No `reserveCapacity(count)`: the counts are the sender's claim, and
        // 65,535 of each would make a 12-byte packet allocate megabytes.
        for _ in 0..<counts.0 { message.questions.append(try readQuestion()) }
        if questionsOnly { return message }
        for _ in 0..<counts.1 { message.answers.append(try readPlainRecord("answer")) }
        for _ in 0..<counts.2 { message.authorities.append(try readPlainRecord("authority")) }
        for _ in 0..<counts.3 {
            switch try readRecord() {
            case .record(let record): message.additionals.append(record)
            case .opt(let edns, let extendedCode):
                guard message.edns == nil else { throw fail(.dnsBadOPT, "second OPT record") }
                message.edns = edns
                message.responseCode = DNSResponseCode(
                    rawValue: UInt16(extendedCode) << 4 | message.responseCode.rawValue)
            }
        }
        guard position == end else { throw fail(.dnsTrailingData, "\(end - position) bytes after the last record") }
        return message
    }

    private mutating func readPlainRecord(_ section: String) throws(DNSError) -> DNSResourceRecord {
        let start = offset
        guard case .record(let record) = try readRecord() else {
            throw fail(.dnsBadOPT, "OPT record in the \(section) section", at: start)
        }
        return record
    }
}
