import NIOCore

/// An IPv4 address, parsed once so that a malformed one cannot reach the table
/// or the wire.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address in host byte order: `10.0.0.1` is `0x0A00_0001`.
    public var rawValue: UInt32

    /// Wraps a host-byte-order value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Builds an address from its four octets, most significant first.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text (`172.30.1.5`); nil for anything else, including
    /// leading zeros, which some parsers read as octal.
    public init?(_ text: some StringProtocol) {
        var value: UInt32 = 0
        var octets = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit),
                part.count == 1 || part.first != "0", let octet = UInt8(part)
            else { return nil }
            value = value << 8 | UInt32(octet)
            octets += 1
        }
        guard octets == 4 else { return nil }
        rawValue = value
    }

    /// The IPv4 address of a socket address; nil for IPv6 and unix sockets.
    public init?(_ address: SocketAddress) {
        guard case .v4(let v4) = address else { return nil }
        // `sin_addr` is in network byte order.
        rawValue = UInt32(bigEndian: v4.address.sin_addr.s_addr)
    }

    /// The four octets, most significant first.
    public var octets: [UInt8] {
        [
            UInt8(truncatingIfNeeded: rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
            UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue),
        ]
    }

    /// Dotted-quad text.
    public var description: String { octets.map(String.init).joined(separator: ".") }

    /// Orders by numeric value, so sorted lists read naturally.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An IPv6 address as sixteen bytes, enough for AAAA records.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The most significant eight bytes.
    public var high: UInt64
    /// The least significant eight bytes.
    public var low: UInt64

    /// Wraps the two halves, most significant first.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Builds an address from exactly sixteen bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// The sixteen bytes, most significant first.
    public var bytes: [UInt8] {
        (0..<16).map { index in
            let half = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: half >> (8 * (7 - index % 8)))
        }
    }

    /// Eight colon-separated groups in hex, uncompressed (`fd00:0:0:0:0:0:0:1`):
    /// unambiguous, and only logs and tests read it.
    public var description: String {
        (0..<8).map { group in
            let half = group < 4 ? high : low
            return String(UInt16(truncatingIfNeeded: half >> (16 * (3 - group % 4))), radix: 16)
        }.joined(separator: ":")
    }
}

/// An IPv4 network in CIDR form (`172.30.1.0/24`): the embedded DNS maps a
/// query's source address to the networks whose subnet contains it.
public struct IPv4Subnet: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the subnet (host bits cleared).
    public let network: IPv4Address
    /// The prefix length, 0 through 32.
    public let prefixLength: Int

    /// Makes a subnet; host bits of `address` are cleared, so `172.30.1.7/24`
    /// is `172.30.1.0/24`. Nil when the prefix is outside 0...32.
    public init?(_ address: IPv4Address, prefixLength: Int) {
        guard (0...32).contains(prefixLength) else { return nil }
        self.prefixLength = prefixLength
        network = IPv4Address(rawValue: address.rawValue & Self.mask(prefixLength))
    }

    /// Parses `a.b.c.d/n`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]),
            (1...2).contains(parts[1].count), parts[1].allSatisfy(\.isASCIIDigit),
            let prefix = Int(parts[1])
        else { return nil }
        self.init(address, prefixLength: prefix)
    }

    /// True when `address` lies in this subnet.
    public func contains(_ address: IPv4Address) -> Bool {
        address.rawValue & Self.mask(prefixLength) == network.rawValue
    }

    /// `network/prefix`.
    public var description: String { "\(network)/\(prefixLength)" }

    private static func mask(_ prefixLength: Int) -> UInt32 {
        // A shift by 32 is out of range for UInt32, so /0 is special.
        prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength)
    }
}

extension Character {
    /// True for `0`...`9` only; `Character.isNumber` also accepts other scripts' digits.
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
