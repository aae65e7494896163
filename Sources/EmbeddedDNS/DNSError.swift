import BerthModel

/// The one error type of EmbeddedDNS: what went wrong (`code`), a message
/// that names the operation, the object and the value, and an optional cause.
///
/// Its codes are `BerthError`'s, declared in BerthModel with all the others;
/// it keeps the underlying error (a bind's `IOError`) as a value, which
/// `BerthError` cannot carry, and the daemon wraps it where it needs to.
public struct DNSError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let code: BerthError.Code
    /// The operation, the object and the value, in words.
    public let message: String
    /// The underlying error, when there is one (a bind's `IOError`).
    public let cause: (any Error & Sendable)?

    /// Makes an error; `message` should name the operation, the object and the value.
    public init(_ code: BerthError.Code, _ message: String, cause: (any Error & Sendable)? = nil) {
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
