import BerthModel

/// A domain name, validated: every label 1–63 bytes, at most 255 bytes on the
/// wire. Case is kept (a reply echoes the asker's spelling, which resolvers
/// using 0x20 randomisation check), but equality and hashing ignore ASCII
/// case, as DNS does (RFC 4343), so a table keyed by `DNSName` answers `WEB`
/// and `web.` alike.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The labels in wire form, each preceded by its length, without the final
    /// zero byte: `web.local` is `[3, w, e, b, 5, l, o, c, a, l]`; the root is empty.
    public private(set) var wire: [UInt8]

    /// FNV-1a over the lowercased wire bytes, kept up to date as labels are
    /// added. Hashing uses it, and equality checks it before the bytes, so a
    /// table lookup rarely touches the keys' byte arrays: those pointer
    /// chases made dictionary probing the largest cost of a table answer.
    private var fingerprint: UInt64 = Self.fnvOffset

    private static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    private mutating func mix(_ byte: UInt8) {
        fingerprint = (fingerprint ^ UInt64(lowercase(byte))) &* Self.fnvPrime
    }

    /// The longest a name may be on the wire, terminating zero included (RFC 1035 §3.1).
    public static let maxWireLength = 255
    /// The longest a label may be (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63

    /// The root name, `.`.
    public static let root = DNSName(uncheckedWire: [])

    /// Wraps wire bytes the caller has already validated.
    init(uncheckedWire: [UInt8]) {
        wire = uncheckedWire
        for byte in uncheckedWire { mix(byte) }
    }

    /// Parses dotted text; a trailing dot is optional and `.` alone is the root.
    /// Throws for an empty label (`a..b`), a label over 63 bytes, or a name
    /// over 255 bytes.
    public init(_ text: String) throws(DNSError) {
        if text == "." {
            self = .root
            return
        }
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        var wire: [UInt8] = []
        wire.reserveCapacity(body.utf8.count + 1)
        for label in body.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(label.utf8)
            guard !bytes.isEmpty else {
                throw DNSError(.invalidArgument, "parsing DNS name \"\(text)\": empty label")
            }
            guard bytes.count <= Self.maxLabelLength else {
                throw DNSError(
                    .dnsBadLabel,
                    "parsing DNS name \"\(text)\": label \"\(label)\" is \(bytes.count) bytes, more than 63")
            }
            wire.append(UInt8(bytes.count))
            wire.append(contentsOf: bytes)
        }
        guard wire.count + 1 <= Self.maxWireLength else {
            throw DNSError(
                .dnsNameTooLong, "parsing DNS name \"\(text)\": \(wire.count + 1) bytes on the wire, more than 255")
        }
        self.init(uncheckedWire: wire)
    }

    /// Makes room for `count` wire bytes, so that appending labels up to
    /// that length allocates once.
    mutating func reserveCapacity(_ count: Int) {
        wire.reserveCapacity(count)
    }

    /// Appends one label; used by the decoder, which checks the limits itself.
    mutating func appendLabel(_ bytes: some Collection<UInt8>) {
        let length = UInt8(truncatingIfNeeded: bytes.count)
        wire.append(length)
        wire.append(contentsOf: bytes)
        mix(length)
        for byte in bytes { mix(byte) }
    }

    /// True for the root name.
    public var isRoot: Bool { wire.isEmpty }

    /// The start offset (in `wire`) of each label, first label first.
    var labelOffsets: [Int] {
        var offsets: [Int] = []
        var index = 0
        while index < wire.count {
            offsets.append(index)
            index += 1 + Int(wire[index])
        }
        return offsets
    }

    /// The labels as text, first label first.
    public var labels: [String] {
        labelOffsets.map { offset in
            let length = Int(wire[offset])
            return String(decoding: wire[(offset + 1)..<(offset + 1 + length)], as: UTF8.self)
        }
    }

    /// Dotted text with a trailing dot, in presentation format: bytes that are
    /// not printable, and `.` or `\` inside a label, are escaped as `\DDD` or `\c`.
    public var description: String {
        if isRoot { return "." }
        var text = ""
        for offset in labelOffsets {
            let length = Int(wire[offset])
            for byte in wire[(offset + 1)..<(offset + 1 + length)] {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text += "\\" + String(UnicodeScalar(byte))
                case 0x21...0x7E:
                    text.unicodeScalars.append(UnicodeScalar(byte))
                default:
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            text += "."
        }
        return text
    }

    /// Case-insensitive equality, as DNS compares names.
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.fingerprint == rhs.fingerprint, lhs.wire.count == rhs.wire.count else { return false }
        for index in lhs.wire.indices where lowercase(lhs.wire[index]) != lowercase(rhs.wire[index]) {
            return false
        }
        return true
    }

    /// Hashes the fingerprint of the lowercased bytes, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(fingerprint)
    }

    /// True when the wire bytes from `lhsStart` to the end of `lhs` equal those
    /// from `rhsStart` to the end of `rhs`, ignoring case: a suffix comparison
    /// for name compression that allocates nothing.
    static func suffixesEqual(_ lhs: [UInt8], from lhsStart: Int, _ rhs: [UInt8], from rhsStart: Int) -> Bool {
        guard lhs.count - lhsStart == rhs.count - rhsStart else { return false }
        var left = lhsStart
        var right = rhsStart
        while left < lhs.count {
            if lowercase(lhs[left]) != lowercase(rhs[right]) { return false }
            left += 1
            right += 1
        }
        return true
    }
}

/// ASCII lowercase of one byte; other bytes are unchanged (RFC 4343 folds only A–Z).
@inline(__always)
func lowercase(_ byte: UInt8) -> UInt8 {
    (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
}

extension DNSName {
    /// The reverse-lookup name of an address: `10.0.0.5` → `5.0.0.10.in-addr.arpa`.
    public init(reversePointerFor address: IPv4Address) {
        var name = DNSName.root
        for octet in address.octets.reversed() { name.appendLabel(Array(String(octet).utf8)) }
        name.appendLabel(Array("in-addr".utf8))
        name.appendLabel(Array("arpa".utf8))
        self = name
    }

    /// The address a `d.c.b.a.in-addr.arpa` name asks about; nil for any other
    /// name, including partial ones such as `0.10.in-addr.arpa`.
    public var reversePointerAddress: IPv4Address? {
        let labels = self.labels
        guard labels.count == 6, labels[4].lowercased() == "in-addr", labels[5].lowercased() == "arpa" else {
            return nil
        }
        return IPv4Address(labels[0..<4].reversed().joined(separator: "."))
    }
}
