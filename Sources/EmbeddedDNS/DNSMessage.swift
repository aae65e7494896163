/// One DNS message (RFC 1035 §4.1): header, questions and three record
/// sections. The EDNS0 OPT pseudo-record is not kept among `additionals` but
/// in `edns`, since it describes the message rather than any name; the codec
/// moves it between the two.
public struct DNSMessage: Hashable, Sendable {
    /// Matches a reply to its query.
    public var id: UInt16
    /// QR: false for a query, true for a reply.
    public var isResponse: Bool
    /// The kind of query.
    public var opcode: DNSOpcode
    /// AA: the answer comes from the authority for the name.
    public var isAuthoritative: Bool
    /// TC: the reply did not fit and was cut; the client should ask again over TCP.
    public var isTruncated: Bool
    /// RD: the client wants the server to recurse.
    public var recursionDesired: Bool
    /// RA: the server recurses.
    public var recursionAvailable: Bool
    /// AD: the data was validated with DNSSEC (RFC 4035).
    public var authenticData: Bool
    /// CD: the client does its own DNSSEC checking.
    public var checkingDisabled: Bool
    /// The 12-bit response code; codes above 15 need `edns`.
    public var responseCode: DNSResponseCode
    /// What is asked; a standard query has exactly one.
    public var questions: [DNSQuestion]
    /// Records that answer the question.
    public var answers: [DNSResourceRecord]
    /// Records naming an authority (an SOA for negative answers).
    public var authorities: [DNSResourceRecord]
    /// Other records that help, OPT excluded (see `edns`).
    public var additionals: [DNSResourceRecord]
    /// The EDNS0 OPT record, when the message has one.
    public var edns: EDNS?

    /// Makes a message; every flag defaults to clear and every section to empty.
    public init(
        id: UInt16, isResponse: Bool = false, opcode: DNSOpcode = .query, isAuthoritative: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false,
        authenticData: Bool = false, checkingDisabled: Bool = false, responseCode: DNSResponseCode = .noError,
        questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [], authorities: [DNSResourceRecord] = [],
        additionals: [DNSResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// A reply skeleton for `query`: same id, opcode, RD and CD bits and
    /// questions, QR set, the given code, no records, no OPT (the server adds
    /// its own when the query had one).
    public init(replyingTo query: DNSMessage, responseCode: DNSResponseCode = .noError) {
        self.init(
            id: query.id, isResponse: true, opcode: query.opcode, recursionDesired: query.recursionDesired,
            checkingDisabled: query.checkingDisabled, responseCode: responseCode, questions: query.questions)
    }
}

/// One question: a name, a type and a class.
public struct DNSQuestion: Hashable, Sendable, CustomStringConvertible {
    /// The name asked about.
    public var name: DNSName
    /// The record type asked for.
    public var type: DNSRecordType
    /// The class, nearly always `IN`.
    public var recordClass: DNSClass

    /// Makes a question, class `IN` unless told.
    public init(name: DNSName, type: DNSRecordType, recordClass: DNSClass = .internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    /// `name CLASS TYPE`, as dig prints it.
    public var description: String { "\(name) \(recordClass) \(type)" }
}

/// One resource record. Its type follows from `data`.
public struct DNSResourceRecord: Hashable, Sendable, CustomStringConvertible {
    /// The owner name.
    public var name: DNSName
    /// The class, nearly always `IN`.
    public var recordClass: DNSClass
    /// How long, in seconds, a cache may keep the record.
    public var ttl: UInt32
    /// The typed payload.
    public var data: DNSRecordData

    /// Makes a record, class `IN` unless told.
    public init(name: DNSName, recordClass: DNSClass = .internet, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// The record's type, taken from its data.
    public var type: DNSRecordType { data.type }

    /// `name TTL CLASS TYPE data`, as dig prints it.
    public var description: String { "\(name) \(ttl) \(recordClass) \(type) \(data)" }
}

/// The payload of a record. Types the codec does not model are kept as raw
/// bytes; a name compressed inside such a payload is not expanded, so it only
/// stays meaningful in the message it came from (the forwarder therefore
/// relays upstream replies as bytes rather than re-encoding them).
public enum DNSRecordData: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address.
    case a(IPv4Address)
    /// An IPv6 address.
    case aaaa(IPv6Address)
    /// The target of a reverse lookup.
    case ptr(DNSName)
    /// The canonical name of an alias.
    case cname(DNSName)
    /// A name server.
    case ns(DNSName)
    /// A zone's start of authority.
    case soa(DNSSOA)
    /// Any other type, as the raw bytes of its RDATA.
    case other(type: DNSRecordType, bytes: [UInt8])

    /// The record type this payload belongs to.
    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ptr: .ptr
        case .cname: .cname
        case .ns: .ns
        case .soa: .soa
        case .other(let type, _): type
        }
    }

    /// The payload as dig prints it; raw payloads in RFC 3597 `\# n hex` form.
    public var description: String {
        switch self {
        case .a(let address): "\(address)"
        case .aaaa(let address): "\(address)"
        case .ptr(let name), .cname(let name), .ns(let name): "\(name)"
        case .soa(let soa):
            "\(soa.primary) \(soa.mailbox) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .other(_, let bytes):
            "\\# \(bytes.count) " + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }
}

/// The fields of an SOA record (RFC 1035 §3.3.13).
public struct DNSSOA: Hashable, Sendable {
    /// The zone's primary name server.
    public var primary: DNSName
    /// The responsible person's mailbox, with the `@` written as a dot.
    public var mailbox: DNSName
    /// The zone's version.
    public var serial: UInt32
    /// Seconds between secondaries' refreshes.
    public var refresh: UInt32
    /// Seconds before a failed refresh is retried.
    public var retry: UInt32
    /// Seconds after which a secondary stops answering.
    public var expire: UInt32
    /// The TTL of negative answers (RFC 2308).
    public var minimum: UInt32

    /// Makes an SOA payload.
    public init(
        primary: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
        minimum: UInt32
    ) {
        self.primary = primary
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The EDNS0 OPT pseudo-record (RFC 6891): the sender's UDP payload size,
/// the EDNS version, the DO bit and options. The extended bits of the
/// response code live in `DNSMessage.responseCode`.
public struct EDNS: Hashable, Sendable {
    /// The largest UDP reply the sender accepts; values under 512 mean 512.
    public var udpPayloadSize: UInt16
    /// The EDNS version; only 0 exists.
    public var version: UInt8
    /// DO: the sender wants DNSSEC records.
    public var dnssecOK: Bool
    /// The options, in order, as code and raw bytes.
    public var options: [Option]

    /// One EDNS option (a cookie, a client subnet…), kept as bytes.
    public struct Option: Hashable, Sendable {
        /// The option code.
        public var code: UInt16
        /// The option's payload.
        public var data: [UInt8]
        /// Makes an option.
        public init(code: UInt16, data: [UInt8]) {
            self.code = code
            self.data = data
        }
    }

    /// Makes an OPT record description.
    public init(udpPayloadSize: UInt16, version: UInt8 = 0, dnssecOK: Bool = false, options: [Option] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }
}
