/// Where a value came from: a file and a 1-based line and column.
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// The product's one error type: a code, a message, and where it happened.
///
/// Printed as `file:line:col: path: message` when it comes from a compose
/// file, so a user can jump straight to the place. `more` carries further
/// errors found in the same pass (validation reports them all at once).
public struct BerthError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// What kind of failure this is; the codes are in `BerthError+Codes.swift`.
    public var code: Code
    public var message: String
    /// file:line:col, when the error comes from a file.
    public var location: SourceLocation?
    /// The path of the value in the model, e.g. `services.web.ports[0]`.
    public var path: String?
    /// The underlying reason, when another layer gave one.
    public var cause: String?
    /// Further errors reported together with this one.
    public var more: [BerthError]

    public init(
        _ code: Code, _ message: String, location: SourceLocation? = nil, path: String? = nil,
        cause: String? = nil, more: [BerthError] = []
    ) {
        self.code = code
        self.message = message
        self.location = location
        self.path = path
        self.cause = cause
        self.more = more
    }

    /// One line: `file:line:col: path: message (cause)`. A line break inside
    /// (a multi-line value quoted in the message) prints as `\n`, so that
    /// `description` keeps one error per line.
    public var line: String {
        var out = ""
        if let location { out += "\(location): " }
        if let path, !path.isEmpty { out += "\(path): " }
        out += message
        if let cause { out += " (\(cause))" }
        guard out.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return out }
        return out.replacingLineBreaks()
    }

    /// Every error, one per line.
    public var description: String {
        ([line] + more.map(\.line)).joined(separator: "\n")
    }

    /// Joins several errors into one that prints them all; nil when empty.
    public static func combined(_ errors: [BerthError]) -> BerthError? {
        guard var first = errors.first else { return nil }
        first.more += errors.dropFirst().flatMap { error -> [BerthError] in
            var head = error
            head.more = []
            return [head] + error.more
        }
        return first
    }
}

extension String {
    /// The text with `\n` and `\r` written as escapes.
    fileprivate func replacingLineBreaks() -> String {
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
