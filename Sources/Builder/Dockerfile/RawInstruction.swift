import BerthModel

/// One instruction split into its keyword, its leading `--flags` and the rest
/// of its arguments, before each instruction's own rules read them.
struct RawInstruction {
    /// The keyword as written.
    var keyword: String
    /// `--name=value` words before the arguments, quotes and escapes processed.
    var flags: [String]
    /// The rest of the line, trimmed.
    var arguments: String
    /// The whole logical line, trimmed: what messages and `ONBUILD` keep.
    var text: String
    var location: DockerfileLocation
    var escape: Unicode.Scalar
    /// Heredoc bodies read after the line, in the order of their delimiters.
    var heredocs: [Heredoc] = []

    init(_ line: String, location: DockerfileLocation, escape: Unicode.Scalar) throws(BerthError) {
        text = line.trimmingBlanks
        self.location = location
        self.escape = escape
        let scalars = Array(text.unicodeScalars)
        var split = 0
        while split < scalars.count, !scalars[split].isBlank { split += 1 }
        keyword = String(String.UnicodeScalarView(scalars[..<split]))
        while split < scalars.count, scalars[split].isBlank { split += 1 }
        let rest = String(String.UnicodeScalarView(scalars[split...]))
        (arguments, flags) = Self.builderFlags(rest, escape: escape)
        arguments = arguments.trimmingBlanks
    }

    /// Whether heredocs may follow: `RUN`, `COPY` and `ADD` (also as an
    /// `ONBUILD` trigger) in their shell form.
    var acceptsHeredocs: Bool {
        var raw = self
        if keyword.lowercased() == "onbuild" {
            guard let trigger = try? RawInstruction(arguments, location: location, escape: escape) else { return false }
            raw = trigger
        }
        guard ["run", "copy", "add"].contains(raw.keyword.lowercased()) else { return false }
        return (try? JSONArray.strings(raw.arguments)).flatMap { $0 } == nil
    }

    /// Splits the leading words that begin with `--` off `line`: each flag
    /// word with its quotes and escapes processed, and the rest of the line
    /// as written. A bare `--` ends the flags.
    static func builderFlags(_ line: String, escape: Unicode.Scalar) -> (rest: String, flags: [String]) {
        let scalars = Array(line.unicodeScalars)
        var flags: [String] = []
        var position = 0
        while true {
            while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
            guard position + 1 < scalars.count, scalars[position] == "-", scalars[position + 1] == "-" else {
                return (String(String.UnicodeScalarView(scalars[position...])), flags)
            }
            var word = ""
            var quoted = false
            var quote: Unicode.Scalar?
            while position < scalars.count {
                var scalar = scalars[position]
                position += 1
                if let open = quote {
                    if scalar == open {
                        quote = nil
                        continue
                    }
                } else if scalar.properties.isWhitespace {
                    break
                } else if scalar == "'" || scalar == "\"" {
                    quote = scalar
                    quoted = true
                    continue
                }
                if scalar == escape {
                    guard position < scalars.count else { continue }
                    scalar = scalars[position]
                    position += 1
                }
                word.unicodeScalars.append(scalar)
            }
            if word == "--" { return (String(String.UnicodeScalarView(scalars[position...])), flags) }
            if quoted || !word.isEmpty { flags.append(word) }
        }
    }
}

extension Unicode.Scalar {
    /// The blanks that separate a keyword from its arguments (`[\t\v\f\r ]`).
    var isBlank: Bool { self == " " || self == "\t" || self == "\u{0B}" || self == "\u{0C}" || self == "\r" }
}

extension String {
    /// Without blanks and line breaks at either end.
    var trimmingBlanks: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// The words of `text` split at runs of blanks (`[\t\v\f\r ]+`), quotes
    /// not considered: how `FROM`, `EXPOSE`, and the non-JSON forms of
    /// `COPY`, `ADD` and `VOLUME` split their arguments.
    var blankSeparatedWords: [String] {
        unicodeScalars.split(whereSeparator: \.isBlank).map { String($0) }
    }
}
