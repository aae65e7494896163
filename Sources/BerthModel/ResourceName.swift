/// The grammar of the names of services, volumes and networks, which
/// become directory names, container names and hashed interface names on
/// the host: docker's `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, so that `/`, `..` and
/// option-like names (`-rf`) never reach a path or a command line. The
/// loader checks compose files with it and the runtime checks what it is
/// asked to make, so both refuse the same names.
public enum ResourceName {
    /// The longest name, in bytes: a volume's name is a directory name, and
    /// Linux allows no more there (NAME_MAX). docker accepts a longer one
    /// and fails when it makes the directory; Berth refuses it up front.
    public static let maxBytes = 255

    /// What is wrong with a name.
    public enum Problem: Sendable, Hashable {
        /// It has no characters.
        case empty
        /// A character outside the grammar, or a first one that is not a letter or digit.
        case characters
        /// More bytes than allowed (the count).
        case tooLong(bytes: Int)
    }

    /// What is wrong with `name`, or nil when it is a valid name of at most
    /// `maxBytes` bytes (containers, whose names are crun ids, allow fewer).
    /// A name with a bad character is that before it is too long.
    public static func problem(_ name: String, maxBytes: Int = maxBytes) -> Problem? {
        let bytes = name.utf8
        guard let first = bytes.first else { return .empty }
        let allowed = bytes.allSatisfy {
            isLetterOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
        }
        guard isLetterOrDigit(first), allowed else { return .characters }
        return bytes.count > maxBytes ? .tooLong(bytes: bytes.count) : nil
    }

    /// An ASCII letter or digit: what a name starts with.
    public static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

/// A project name: lower-case letters, digits, `_` and `-`, starting with a
/// letter or digit (docker compose's rule, narrower than `ResourceName`'s).
/// It prefixes container, network and volume names, so it is checked once here.
public struct ProjectName: Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Nil when `rawValue` breaks the rule.
    public init?(_ rawValue: String) {
        guard rawValue.utf8.count <= Self.maxBytes, let first = rawValue.unicodeScalars.first, Self.isLowerAlnum(first),
            rawValue.unicodeScalars.allSatisfy({ Self.isLowerAlnum($0) || $0 == "_" || $0 == "-" })
        else { return nil }
        self.rawValue = rawValue
    }

    /// A directory's name made into a project name as docker compose does:
    /// lower-cased, characters outside `[a-z0-9_-]` dropped, leading `_`/`-` removed.
    public static func fromDirectory(_ directoryName: String) -> ProjectName? {
        let cleaned = String(
            String.UnicodeScalarView(
                directoryName.lowercased().unicodeScalars.filter {
                    isLowerAlnum($0) || $0 == "_" || $0 == "-"
                }))
        let trimmed = cleaned.drop { $0 == "_" || $0 == "-" }
        return ProjectName(String(trimmed))
    }

    private static func isLowerAlnum(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "0" && c <= "9")
    }

    public var description: String { rawValue }

    private enum CodingKeys: String, CodingKey { case rawValue }

    /// Decoded by the same rule: a name from the wire or a file that breaks
    /// it (`../../x`) fails to decode, with the `BerthError` that says why
    /// as the underlying error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .rawValue)
        do {
            try Self.check(text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: container.codingPath + [CodingKeys.rawValue], debugDescription: error.message,
                    underlyingError: error))
        }
        self.rawValue = text
    }
}
