/// One challenge of a `WWW-Authenticate` header: `Bearer realm="…",
/// service="…", scope="…"` or `Basic realm="…"`.
public struct AuthChallenge: Hashable, Sendable {
    /// The scheme, lower case: `bearer`, `basic`.
    public var scheme: String
    /// The parameters, names lower case, values unquoted and unescaped.
    public var parameters: [String: String]

    /// A challenge.
    public init(scheme: String, parameters: [String: String] = [:]) {
        self.scheme = scheme.lowercased()
        self.parameters = parameters
    }

    /// Every challenge in a `WWW-Authenticate` value (RFC 7235: a comma
    /// separates challenges and also the parameters of one; quoted strings
    /// may hold commas and `\"`). What does not parse ends the list, so a
    /// malformed tail does not hide the challenges before it.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var scanner = Scanner(Array(header.utf8))
        var challenges: [AuthChallenge] = []
        while true {
            scanner.skip { $0 == .space || $0 == .tab || $0 == .comma }
            guard scanner.peek != nil else { break }
            guard let scheme = scanner.token() else {
                scanner.position += 1
                continue
            }
            var challenge = AuthChallenge(scheme: scheme)
            // Parameters until the next scheme (a token not followed by `=`).
            while let (name, value) = scanner.parameter() {
                challenge.parameters[name.lowercased()] = value
                scanner.skip { $0 == .space || $0 == .tab }
                guard scanner.take(.comma) else {
                    // Not the grammar (a token68, `Negotiate abc==`): on to the next comma.
                    scanner.skip { $0 != .comma }
                    break
                }
                scanner.skip { $0 == .space || $0 == .tab || $0 == .comma }
            }
            challenges.append(challenge)
        }
        return challenges
    }

    /// The parameter `name` (case-insensitive).
    public subscript(_ name: String) -> String? { parameters[name.lowercased()] }
}

/// A cursor over the header's bytes.
private struct Scanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skip(while predicate: (UInt8) -> Bool) {
        while let byte = peek, predicate(byte) { position += 1 }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }

    /// RFC 7230's `token`: visible ASCII but separators.
    mutating func token() -> String? {
        let start = position
        skip { $0 > 0x20 && $0 < 0x7f && !Self.separators.contains($0) }
        return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
    }

    /// `name = value`, value a token or a quoted string; nil (and the cursor
    /// left where it was) when what follows is not a parameter, e.g. the
    /// scheme of the next challenge.
    mutating func parameter() -> (String, String)? {
        let start = position
        skip { $0 == .space || $0 == .tab }
        guard let name = token() else {
            position = start
            return nil
        }
        skip { $0 == .space || $0 == .tab }
        guard take(.equals) else {
            position = start
            return nil
        }
        skip { $0 == .space || $0 == .tab }
        if take(.quote) {
            var value: [UInt8] = []
            while let byte = peek {
                position += 1
                if byte == .quote { return (name, String(decoding: value, as: UTF8.self)) }
                if byte == .backslash, let escaped = peek {
                    position += 1
                    value.append(escaped)
                } else {
                    value.append(byte)
                }
            }
            return (name, String(decoding: value, as: UTF8.self))
        }
        // Unquoted: a token, leniently anything up to a comma or a space
        // (`realm=https://auth.example/token` is seen in the wild).
        let valueStart = position
        skip { $0 != .comma && $0 != .space && $0 != .tab }
        return (name, String(decoding: bytes[valueStart..<position], as: UTF8.self))
    }

    static let separators = Set("()<>@,;:\\\"/[]?={} \t".utf8)
}

extension UInt8 {
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let tab = UInt8(ascii: "\t")
    fileprivate static let comma = UInt8(ascii: ",")
    fileprivate static let equals = UInt8(ascii: "=")
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let backslash = UInt8(ascii: "\\")
}
