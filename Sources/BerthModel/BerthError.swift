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
    /// A stable, extensible error code (the `ServiceGroupError.Code` form).
    /// Coded as its plain string, so the daemon's errors reach the CLI whole.
    public struct Code: Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        /// A compose file could not be read (missing, a directory, not text).
        public static let unreadableFile = Code("unreadable-file")
        /// The YAML itself is malformed.
        public static let yamlSyntax = Code("yaml-syntax")
        /// The YAML is well-formed but not a valid compose model.
        public static let invalidCompose = Code("invalid-compose")
        /// A `${VAR:?msg}` or `${VAR?msg}` found no value.
        public static let interpolation = Code("interpolation")
        /// A cycle in `depends_on`, `extends` or `include`.
        public static let cycle = Code("cycle")
        /// No compose file was found where one was looked for.
        public static let noComposeFile = Code("no-compose-file")
        /// The command line was wrong in a way the parser could not see.
        public static let usage = Code("usage")
    }

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
