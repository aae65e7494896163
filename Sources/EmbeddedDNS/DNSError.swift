/// The one error type of EmbeddedDNS: what went wrong (`code`), a message
/// that names the operation, the object and the value, and an optional cause.
///
/// EmbeddedDNS is a leaf target (it imports nothing of Berth's), so it cannot
/// throw `BerthError`; the daemon wraps this one where it needs to.
public struct DNSError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, in the extensible `struct Code` form so that new
    /// codes do not break a caller's `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The packet ended in the middle of a field.
        public static let truncated = Code("truncated")
        /// A name's compression pointer points forward, at itself, or into a loop.
        public static let badPointer = Code("badPointer")
        /// A label is longer than 63 bytes or uses a reserved label type.
        public static let badLabel = Code("badLabel")
        /// A name is longer than 255 bytes on the wire.
        public static let nameTooLong = Code("nameTooLong")
        /// A record's data does not match its type (an A record that is not 4 bytes).
        public static let badRecord = Code("badRecord")
        /// An EDNS0 OPT record is misplaced, repeated or malformed.
        public static let badOPT = Code("badOPT")
        /// Bytes follow the last record the header announced.
        public static let trailingData = Code("trailingData")
        /// A message cannot be written (a field is out of range).
        public static let unencodable = Code("unencodable")
        /// A textual name, address or subnet does not parse.
        public static let invalidInput = Code("invalidInput")
        /// A listener could not be bound or the server is not in a state for the call.
        public static let server = Code("server")
        /// A file (resolv.conf) could not be read.
        public static let io = Code("io")

        /// The code's name, for messages and logs.
        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// The operation, the object and the value, in words.
    public let message: String
    /// The underlying error, when there is one (a bind's `IOError`).
    public let cause: (any Error & Sendable)?

    /// Makes an error; `message` should name the operation, the object and the value.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message, followed by the cause when there is one.
    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
