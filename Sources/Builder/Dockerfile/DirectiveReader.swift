import BerthModel

/// Parser directives (`# syntax=…`, `# escape=…`, `# check=…`): comments of
/// the form `# key=value` at the very top of the file. The first line that is
/// not one (an instruction, a blank line, any other comment, an unknown
/// directive) ends them; later lines of that form are ordinary comments.
/// Keys are case-insensitive and each may appear once.
struct DirectiveReader {
    let file: String
    private(set) var escape: Unicode.Scalar = "\\"
    private(set) var syntax: String?
    private(set) var notes: [DockerfileNote] = []
    private var done = false
    private var seen: Set<String> = []

    init(file: String) { self.file = file }

    /// Reads one line (leading blanks already trimmed for the first line of
    /// an instruction): a directive takes effect; anything else ends the
    /// directives.
    mutating func read(_ line: String, line number: Int) throws(BerthError) {
        guard !done else { return }
        guard let (key, value) = Self.directive(line) else {
            done = true
            return
        }
        let location = DockerfileLocation(file: file, line: number)
        guard !seen.contains(key) else {
            throw BerthError(.invalidDockerfile, "\(location): the \(key) directive may be given only once")
        }
        seen.insert(key)
        switch key {
        case "escape":
            guard value == "\\" || value == "`" else {
                throw BerthError(.invalidDockerfile, "\(location): escape directive: \(value) is neither \\ nor `")
            }
            escape = value.unicodeScalars.first ?? "\\"
        case "syntax":
            syntax = value
            notes.append(
                DockerfileNote(location, "syntax=\(value) ignored: Berth builds with its own Dockerfile frontend"))
        default:
            notes.append(DockerfileNote(location, "check=\(value) ignored: Berth runs no build checks"))
        }
    }

    /// `(key, value)` when `line` is `#key=value` with a known key: blanks
    /// allowed around the key and the `=`, the value trimmed at its end.
    private static func directive(_ line: String) -> (String, String)? {
        guard line.hasPrefix("#") else { return nil }
        let body = Array(String(line.dropFirst()).trimmingLeadingWhitespace.unicodeScalars)
        var position = 0
        guard let first = body.first, first.isASCIILetter else { return nil }
        while position < body.count, body[position].isASCIILetter || body[position].isASCIIDigit { position += 1 }
        let key = String(String.UnicodeScalarView(body[..<position])).lowercased()
        while position < body.count, body[position].properties.isWhitespace { position += 1 }
        guard position < body.count, body[position] == "=" else { return nil }
        position += 1
        while position < body.count, body[position].properties.isWhitespace { position += 1 }
        var end = body.count
        while end > position, body[end - 1].properties.isWhitespace { end -= 1 }
        guard end > position, ["syntax", "escape", "check"].contains(key) else { return nil }
        return (key, String(String.UnicodeScalarView(body[position..<end])))
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
