/// A resource record type (RFC 1035 §3.2.2). A struct rather than an enum
/// so that any of the 65,536 values survives a decode and re-encode.
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The value on the wire.
    public var rawValue: UInt16
    /// Wraps a wire value.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// An IPv4 address.
    public static let a = DNSRecordType(rawValue: 1)
    /// An authoritative name server.
    public static let ns = DNSRecordType(rawValue: 2)
    /// The canonical name of an alias.
    public static let cname = DNSRecordType(rawValue: 5)
    /// The start of a zone of authority.
    public static let soa = DNSRecordType(rawValue: 6)
    /// A domain name pointer, for reverse lookups.
    public static let ptr = DNSRecordType(rawValue: 12)
    /// A mail exchange.
    public static let mx = DNSRecordType(rawValue: 15)
    /// Text strings.
    public static let txt = DNSRecordType(rawValue: 16)
    /// An IPv6 address (RFC 3596).
    public static let aaaa = DNSRecordType(rawValue: 28)
    /// A service location (RFC 2782).
    public static let srv = DNSRecordType(rawValue: 33)
    /// The EDNS0 pseudo-record (RFC 6891).
    public static let opt = DNSRecordType(rawValue: 41)
    /// A query for every type (`*`).
    public static let any = DNSRecordType(rawValue: 255)

    /// The mnemonic (`AAAA`), or `TYPE<n>` for the rest (RFC 3597).
    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        case .any: "ANY"
        default: "TYPE\(rawValue)"
        }
    }
}

/// A record class; in practice always `IN`.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The value on the wire.
    public var rawValue: UInt16
    /// Wraps a wire value.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The Internet.
    public static let internet = DNSClass(rawValue: 1)
    /// Chaos, used for `version.bind`-style server queries.
    public static let chaos = DNSClass(rawValue: 3)
    /// A query for any class.
    public static let any = DNSClass(rawValue: 255)

    /// `IN`, `CH`, `ANY` or `CLASS<n>`.
    public var description: String {
        switch self {
        case .internet: "IN"
        case .chaos: "CH"
        case .any: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}

/// The kind of query in the header (4 bits). Only `query` is answered.
public struct DNSOpcode: RawRepresentable, Hashable, Sendable {
    /// The 4-bit value.
    public var rawValue: UInt8
    /// Wraps a value; only the low 4 bits reach the wire.
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    /// A standard query.
    public static let query = DNSOpcode(rawValue: 0)
    /// A server status request.
    public static let status = DNSOpcode(rawValue: 2)
    /// A zone change notification (RFC 1996).
    public static let notify = DNSOpcode(rawValue: 4)
    /// A dynamic update (RFC 2136).
    public static let update = DNSOpcode(rawValue: 5)
}

/// A response code: 4 bits in the header, extended to 12 by the OPT record
/// (RFC 6891 §6.1.3). `DNSMessage` keeps the whole 12-bit value here.
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 12-bit value.
    public var rawValue: UInt16
    /// Wraps a value; only the low 12 bits are kept.
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    /// No error.
    public static let noError = DNSResponseCode(rawValue: 0)
    /// The query was malformed (FORMERR).
    public static let formatError = DNSResponseCode(rawValue: 1)
    /// The server could not answer (SERVFAIL), e.g. no upstream replied.
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    /// The name does not exist (NXDOMAIN).
    public static let nameError = DNSResponseCode(rawValue: 3)
    /// The kind of query is not supported (NOTIMP).
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    /// The server will not answer (REFUSED).
    public static let refused = DNSResponseCode(rawValue: 5)
    /// The client's EDNS version is not supported (BADVERS, needs an OPT record).
    public static let badVersion = DNSResponseCode(rawValue: 16)

    /// The mnemonic dig prints, or `RCODE<n>`.
    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}
