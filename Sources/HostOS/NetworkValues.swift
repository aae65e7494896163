/// A network interface name the kernel will accept, checked before it gets
/// there (parse, don't validate).
///
/// The kernel's `dev_valid_name`: 1 to 15 bytes (IFNAMSIZ is 16 with the
/// NUL), not `.` or `..`, and no `/`, `:` or whitespace (sysfs and the
/// legacy alias syntax `eth0:1` reserve them). A longer name is not
/// truncated by the kernel but refused with a bare EINVAL, which names
/// nothing; this type names the culprit instead.
public struct InterfaceName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name as the kernel sees it.
    public let rawValue: String

    /// The kernel's limit: IFNAMSIZ - 1.
    public static let maxLength = 15

    /// `lo`, present in every network namespace.
    public static let loopback = InterfaceName(unchecked: "lo")
    /// `eth0`, the conventional name of a container's interface.
    public static let eth0 = InterfaceName(unchecked: "eth0")

    /// A name, or nil when the kernel would refuse it.
    public init?(_ rawValue: String) {
        guard Self.problem(with: rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// A name, or an error that says why the kernel would refuse it.
    public init(parsing rawValue: String) throws(HostOSError) {
        if let problem = Self.problem(with: rawValue) {
            throw HostOSError.invalid("invalid interface name \"\(rawValue)\": \(problem)")
        }
        self.rawValue = rawValue
    }

    private init(unchecked rawValue: String) { self.rawValue = rawValue }

    private static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "empty" }
        if bytes.count > maxLength { return "\(bytes.count) bytes, the kernel allows \(maxLength)" }
        if name == "." || name == ".." { return "reserved" }
        // isspace() in the kernel's ASCII sense, plus '/' and ':'.
        let forbidden: Set<UInt8> = [0, 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, UInt8(ascii: "/"), UInt8(ascii: ":")]
        if bytes.contains(where: forbidden.contains) { return "contains '/', ':', whitespace or NUL" }
        return nil
    }

    /// The name.
    public var description: String { rawValue }

    /// Byte order, as the kernel sorts nothing but humans like stable lists.
    public static func < (lhs: InterfaceName, rhs: InterfaceName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An IPv4 address, stored in host byte order; netlink carries its four
/// bytes in network order. (EmbeddedDNS, which imports nothing of Berth's,
/// has its own `IPv4Address` for the records it serves.)
public struct IPv4: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address as a number, host byte order (10.0.0.1 is 0x0A00_0001).
    public let value: UInt32

    /// The address with the given numeric value.
    public init(_ value: UInt32) { self.value = value }

    /// Parses strict dotted-quad: four decimal octets 0–255 without leading
    /// zeros (inet_aton would read `010` as octal 8, a classic surprise).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                !(part.count > 1 && part.hasPrefix("0")), let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    /// The four bytes in network order, as netlink attributes carry them.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// From four bytes in network order; nil unless there are exactly four.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        self.value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Dotted-quad.
    public var description: String { bytes.map(String.init).joined(separator: ".") }

    /// Numeric order.
    public static func < (lhs: IPv4, rhs: IPv4) -> Bool { lhs.value < rhs.value }
}

/// An IPv4 address with a prefix length: `172.20.0.2/24` for an interface
/// address, `10.0.0.0/8` for a subnet or route destination.
public struct IPv4CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The address, host bits included (an interface's own address).
    public let address: IPv4
    /// 0 to 32.
    public let prefixLength: UInt8

    /// An address with a prefix; nil when the prefix exceeds 32.
    public init?(address: IPv4, prefixLength: UInt8) {
        guard prefixLength <= 32 else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `a.b.c.d/n`; nil when malformed.
    public init?(_ text: String) {
        guard let parsed = try? IPv4CIDR(parsing: text) else { return nil }
        self = parsed
    }

    /// Parses `a.b.c.d/n`, or throws an error that quotes the text.
    public init(parsing text: String) throws(HostOSError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw HostOSError.invalid("invalid IPv4 address \"\(text)\": expected a.b.c.d/prefix")
        }
        guard let address = IPv4(String(parts[0])) else {
            throw HostOSError.invalid("invalid IPv4 address \"\(text)\": \"\(parts[0])\" is not a dotted quad")
        }
        guard parts[1].count <= 2, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
            let length = UInt8(parts[1]), length <= 32
        else {
            throw HostOSError.invalid("invalid IPv4 address \"\(text)\": prefix \"\(parts[1])\" is not 0-32")
        }
        self.address = address
        self.prefixLength = length
    }

    /// The netmask as a number (`/24` is 0xFFFF_FF00).
    public var mask: UInt32 { prefixLength == 0 ? 0 : UInt32.max << (32 - UInt32(prefixLength)) }

    /// The subnet this address lies in: host bits cleared.
    public var network: IPv4CIDR {
        IPv4CIDR(checked: IPv4(address.value & mask), prefixLength)
    }

    /// The directed broadcast address, what `ip addr add … brd +` computes.
    public var broadcast: IPv4 { IPv4(address.value | ~mask) }

    /// Whether `other` lies inside this prefix.
    public func contains(_ other: IPv4) -> Bool { other.value & mask == address.value & mask }

    /// Whether the two prefixes share any address.
    public func overlaps(_ other: IPv4CIDR) -> Bool {
        let shorter = min(prefixLength, other.prefixLength)
        let common = shorter == 0 ? 0 : UInt32.max << (32 - UInt32(shorter))
        return address.value & common == other.address.value & common
    }

    /// `a.b.c.d/n`.
    public var description: String { "\(address)/\(prefixLength)" }

    init(checked address: IPv4, _ prefixLength: UInt8) {
        self.address = address
        self.prefixLength = min(prefixLength, 32)
    }
}
