import BerthModel
import NIOCore

extension DNSMessage {
    /// The largest message TCP's two-byte length prefix can frame.
    public static let maxTCPSize = 65_535

    /// Appends the message to `buffer` in at most `maxSize` bytes and returns
    /// whether it had to be cut.
    ///
    /// Names are compressed against every name written before them. When the
    /// records do not fit, as many answer (then authority) records as fit are
    /// kept and TC is set, as miekg/dns's `Truncate` does: a client that
    /// retries over TCP gets everything, and one that cannot (musl before
    /// 1.2.4 has no TCP fallback) still gets some addresses. Additional
    /// records that do not fit are dropped without TC (RFC 2181 §9). The OPT
    /// record always stays, since it carries the extended response code.
    ///
    /// Throws only when even the header and questions exceed `maxSize`, when a
    /// record's data exceeds 65,535 bytes, or when a response code above 15
    /// has no OPT record to carry it.
    @discardableResult
    public func encode(into buffer: inout ByteBuffer, maxSize: Int = maxTCPSize) throws(DNSError) -> Bool {
        let (bytes, truncated) = try wireBytes(maxSize: maxSize)
        buffer.writeBytes(bytes)
        return truncated
    }

    /// The message as a new buffer of at most `maxSize` bytes (see `encode(into:maxSize:)`).
    public func encoded(maxSize: Int = maxTCPSize) throws(DNSError) -> ByteBuffer {
        // Sized once: an empty buffer written into would be allocated twice.
        ByteBuffer(bytes: try wireBytes(maxSize: maxSize).bytes)
    }

    /// The bytes of `encode(into:maxSize:)`, and whether records were left out.
    private func wireBytes(maxSize: Int) throws(DNSError) -> (bytes: [UInt8], truncated: Bool) {
        guard responseCode.rawValue <= 0x0F || edns != nil else {
            throw DNSError(
                .dnsUnencodable, "encoding DNS message \(id): response code \(responseCode) needs an OPT record")
        }
        let limit = min(maxSize, Self.maxTCPSize)
        let optSize = edns.map { 11 + $0.options.reduce(0) { $0 + 4 + $1.data.count } } ?? 0
        guard optSize <= 11 + Int(UInt16.max) else {
            throw DNSError(
                .dnsUnencodable, "encoding DNS message \(id): EDNS options take \(optSize - 11) bytes, more than 65535")
        }
        // The message is built in a local array and copied into `buffer` once:
        // ByteBuffer's per-write bookkeeping was a fifth of the encoding time.
        var writer = WireWriter(capacity: min(limit, 512))
        writer.bytes.append(contentsOf: repeatElement(0, count: 12))
        for question in questions {
            writer.writeName(question.name)
            writer.append(question.type.rawValue)
            writer.append(question.recordClass.rawValue)
        }
        guard writer.bytes.count + optSize <= limit else {
            throw DNSError(
                .dnsUnencodable,
                "encoding DNS message \(id): header and questions take \(writer.bytes.count) bytes, limit \(limit)")
        }
        let room = limit - optSize
        var truncated = false
        let answerCount = try writer.writeSection(answers, room: room, truncated: &truncated)
        var authorityCount: UInt16 = 0
        var additionalCount: UInt16 = 0
        if !truncated {
            authorityCount = try writer.writeSection(authorities, room: room, truncated: &truncated)
        }
        if !truncated {
            var dropped = false  // additionals that do not fit are dropped without TC
            additionalCount = try writer.writeSection(additionals, room: room, truncated: &dropped)
        }
        if let edns {
            writer.writeOPT(edns, extendedCode: UInt8(truncatingIfNeeded: responseCode.rawValue >> 4))
            additionalCount += 1
        }
        var flags = UInt16(opcode.rawValue) << 11 | responseCode.rawValue & 0x000F
        if isResponse { flags |= 0x8000 }
        if isAuthoritative { flags |= 0x0400 }
        if isTruncated || truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        writer.set(id, at: 0)
        writer.set(flags, at: 2)
        writer.set(UInt16(clamping: questions.count), at: 4)
        writer.set(answerCount, at: 6)
        writer.set(authorityCount, at: 8)
        writer.set(additionalCount, at: 10)
        return (writer.bytes, truncated)
    }
}

/// Builds one message's bytes, remembering where each written name (and each
/// of its suffixes) starts so that later names can point at them.
struct WireWriter {
    /// The message so far; offset 0 is its first byte.
    var bytes: [UInt8]
    /// A written name suffix: the name's wire bytes, where the suffix starts in
    /// them, and the suffix's offset in the message.
    private var suffixes: [(wire: [UInt8], start: Int, offset: Int)] = []

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        // A question and its answers share a name's suffixes: one allocation.
        suffixes.reserveCapacity(8)
    }

    mutating func append(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func append(_ value: UInt32) {
        append(UInt16(truncatingIfNeeded: value >> 16))
        append(UInt16(truncatingIfNeeded: value))
    }

    mutating func set(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Writes records while they fit in `room` bytes and returns how many
    /// did; on the first that does not, removes it and sets `truncated`.
    mutating func writeSection(_ records: [DNSResourceRecord], room: Int, truncated: inout Bool) throws(DNSError)
        -> UInt16
    {
        var count: UInt16 = 0
        for record in records {
            let mark = (size: bytes.count, suffixes: suffixes.count)
            try writeRecord(record)
            guard bytes.count <= room else {
                bytes.removeSubrange(mark.size...)
                suffixes.removeSubrange(mark.suffixes...)
                truncated = true
                break
            }
            // At most 65,535 bytes of records of 11 bytes or more: no overflow.
            count += 1
        }
        return count
    }

    mutating func writeName(_ name: DNSName) {
        let wire = name.wire
        var labelStart = 0
        while labelStart < wire.count {
            if let earlier = suffixes.first(where: {
                DNSName.suffixesEqual(wire, from: labelStart, $0.wire, from: $0.start)
            }) {
                append(UInt16(0xC000) | UInt16(earlier.offset))
                return
            }
            // A pointer holds 14 bits, so later suffixes are not remembered.
            if bytes.count <= 0x3FFF { suffixes.append((wire, labelStart, bytes.count)) }
            let length = Int(wire[labelStart])
            bytes.append(contentsOf: wire[labelStart..<(labelStart + 1 + length)])
            labelStart += 1 + length
        }
        bytes.append(0)
    }

    mutating func writeRecord(_ record: DNSResourceRecord) throws(DNSError) {
        writeName(record.name)
        append(record.type.rawValue)
        append(record.recordClass.rawValue)
        append(record.ttl)
        let lengthOffset = bytes.count
        append(UInt16(0))
        switch record.data {
        case .a(let address): append(address.rawValue)
        case .aaaa(let address):
            append(UInt32(truncatingIfNeeded: address.high >> 32))
            append(UInt32(truncatingIfNeeded: address.high))
            append(UInt32(truncatingIfNeeded: address.low >> 32))
            append(UInt32(truncatingIfNeeded: address.low))
        case .ptr(let name), .cname(let name), .ns(let name): writeName(name)
        case .soa(let soa):
            writeName(soa.primary)
            writeName(soa.mailbox)
            for field in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { append(field) }
        case .other(_, let data): bytes.append(contentsOf: data)
        }
        let length = bytes.count - lengthOffset - 2
        guard length <= Int(UInt16.max) else {
            throw DNSError(
                .dnsUnencodable,
                "encoding \(record.type) record for \(record.name): \(length) data bytes, more than 65535"
            )
        }
        set(UInt16(length), at: lengthOffset)
    }

    mutating func writeOPT(_ edns: EDNS, extendedCode: UInt8) {
        bytes.append(0)  // the root name
        append(DNSRecordType.opt.rawValue)
        append(edns.udpPayloadSize)
        append(UInt32(extendedCode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
        append(UInt16(clamping: edns.options.reduce(0) { $0 + 4 + $1.data.count }))
        for option in edns.options {
            append(option.code)
            append(UInt16(clamping: option.data.count))
            bytes.append(contentsOf: option.data)
        }
    }
}
