/// The Dockerfile's own word processing: quotes, escapes and `$VAR`
/// expansion in the instructions where the builder (not a shell) expands
/// (`ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR`, `ARG`
/// defaults, flag values), and the detection of heredoc words.
///
/// It follows BuildKit's lexer rather than POSIX sh where they differ: an
/// escape outside quotes keeps the next character whatever it is; inside
/// double quotes it escapes only `"`, `$` and itself; single quotes take
/// everything literally; `$1`, `$@` and the other positional and special
/// parameters are never set. The modifiers are `-`, `+`, `?` (each with an
/// optional `:`), `#`, `##`, `%`, `%%`, `/` and `//`: the Dockerfile
/// reference still calls the last six pre-release, but the stable frontend
/// (docker/dockerfile:1.7 and later) accepts them and real Dockerfiles use
/// them, so they are accepted here too.
struct WordLexer: Sendable {
    /// The escape character of the Dockerfile (`\` or the directive's `` ` ``).
    var escape: Unicode.Scalar = "\\"
    /// Keep quote characters in the result (heredoc detection).
    var keepsQuotes = false
    /// Keep escape characters in the result (heredoc detection).
    var keepsEscapes = false
    /// Treat quotes as ordinary characters (heredoc bodies of `COPY`).
    var ignoresQuotes = false
    /// Leave a reference to an unset variable as written instead of empty.
    var keepsUnset = false

    /// `word` with quotes removed, escapes applied and variables expanded, as one string.
    func expand(_ word: String, _ variables: Variables) throws(WordError) -> String {
        var scanner = WordScanner(word, lexer: self, variables: variables)
        return try scanner.run().text
    }

    /// `word` processed as `expand` does, then split at unquoted whitespace
    /// (a variable's value splits too; quoted text never does).
    func split(_ word: String, _ variables: Variables) throws(WordError) -> [String] {
        var scanner = WordScanner(word, lexer: self, variables: variables)
        return try scanner.run().words
    }
}

/// Why a word could not be processed: an unterminated quote, a bad
/// substitution, or a `${VAR:?message}` that found no value.
struct WordError: Error, Hashable, Sendable {
    let message: String
}

/// The words of a processed text, built as the scanner goes: unquoted
/// whitespace ends a word; quoted and escaped text never does.
private struct WordList {
    var words: [String] = []
    var current = ""
    var inWord = false

    /// A character outside quotes: whitespace ends the word.
    mutating func add(_ scalar: Unicode.Scalar) {
        if scalar.properties.isWhitespace {
            if inWord && !current.isEmpty {
                words.append(current)
                current = ""
                inWord = false
            }
        } else {
            addRaw(scalar)
        }
    }

    mutating func addRaw(_ scalar: Unicode.Scalar) {
        current.unicodeScalars.append(scalar)
        inWord = true
    }

    /// Expanded text: splits at its whitespace.
    mutating func add(_ text: String) {
        for scalar in text.unicodeScalars { add(scalar) }
    }

    /// Quoted text: one piece of the current word.
    mutating func addRaw(_ text: String) {
        current += text
        inWord = true
    }

    mutating func finish() -> [String] {
        if !current.isEmpty {
            words.append(current)
            current = ""
        }
        return words
    }
}

/// One pass over one word.
struct WordScanner {
    let scalars: [Unicode.Scalar]
    var position = 0
    let lexer: WordLexer
    let variables: Variables
    /// Whether escapes are kept right now: the lexer's setting, or true inside
    /// the pattern of `${VAR#…}`, `${VAR%…}` and `${VAR/…}`, where the
    /// pattern matcher reads them.
    var keepsEscapes: Bool

    init(_ word: String, lexer: WordLexer, variables: Variables) {
        scalars = Array(word.unicodeScalars)
        self.lexer = lexer
        self.variables = variables
        keepsEscapes = lexer.keepsEscapes
    }

    var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    mutating func next() -> Unicode.Scalar? {
        guard position < scalars.count else { return nil }
        defer { position += 1 }
        return scalars[position]
    }

    mutating func run() throws(WordError) -> (text: String, words: [String]) {
        try process(until: nil, keepingEscapes: keepsEscapes)
    }

    /// Processes up to `stop` (consumed) or the end; reaching the end while
    /// looking for `stop` is an error.
    mutating func process(
        until stop: Unicode.Scalar?, keepingEscapes: Bool
    ) throws(WordError) -> (text: String, words: [String]) {
        let saved = keepsEscapes
        keepsEscapes = keepingEscapes
        defer { keepsEscapes = saved }
        var text = ""
        var words = WordList()
        while let scalar = peek {
            if let stop, scalar == stop {
                position += 1
                return (text, words.finish())
            }
            switch scalar {
            case "$":
                let value = try dollar()
                text += value
                words.add(value)
            case "<":
                let value = possibleHeredoc()
                text += value
                words.addRaw(value)
            case "'" where !lexer.ignoresQuotes:
                let value = try singleQuoted()
                text += value
                words.addRaw(value)
            case "\"" where !lexer.ignoresQuotes:
                let value = try doubleQuoted()
                text += value
                words.addRaw(value)
            default:
                position += 1
                guard scalar == lexer.escape else {
                    words.add(scalar)
                    text.unicodeScalars.append(scalar)
                    continue
                }
                if keepsEscapes {
                    words.addRaw(scalar)
                    text.unicodeScalars.append(scalar)
                }
                // An escape at the very end of the word is dropped.
                guard let escaped = next() else { break }
                words.addRaw(escaped)
                text.unicodeScalars.append(escaped)
            }
        }
        if let stop {
            throw WordError(message: "unexpected end of text while looking for the matching \(stop)")
        }
        return (text, words.finish())
    }

    mutating func singleQuoted() throws(WordError) -> String {
        var text = ""
        let quote = scalars[position]
        position += 1
        if lexer.keepsQuotes { text.unicodeScalars.append(quote) }
        while let scalar = next() {
            if scalar == "'" {
                if lexer.keepsQuotes { text.unicodeScalars.append(scalar) }
                return text
            }
            text.unicodeScalars.append(scalar)
        }
        throw WordError(message: "unexpected end of text while looking for the matching single quote")
    }

    mutating func doubleQuoted() throws(WordError) -> String {
        var text = ""
        let quote = scalars[position]
        position += 1
        if lexer.keepsQuotes { text.unicodeScalars.append(quote) }
        while let scalar = peek {
            if scalar == "\"" {
                position += 1
                if lexer.keepsQuotes { text.unicodeScalars.append(scalar) }
                return text
            }
            if scalar == "$" {
                text += try dollar()
                continue
            }
            position += 1
            var character = scalar
            if scalar == lexer.escape {
                if keepsEscapes { text.unicodeScalars.append(scalar) }
                // Only `"`, `$` and the escape itself are escaped inside
                // double quotes; before anything else the escape stays.
                if let following = peek, following == "\"" || following == "$" || following == lexer.escape {
                    character = following
                    position += 1
                }
            }
            text.unicodeScalars.append(character)
        }
        throw WordError(message: "unexpected end of text while looking for the matching double quote")
    }

    /// `<<` and the blanks after it stay together, so `<<  EOF` reads as one
    /// heredoc word; a lone `<` is an ordinary character.
    mutating func possibleHeredoc() -> String {
        position += 1
        guard peek == "<" else { return "<" }
        position += 1
        var text = "<<"
        while let scalar = peek, scalar == " " || scalar == "\t" || scalar == "\r" {
            text.unicodeScalars.append(scalar)
            position += 1
        }
        return text
    }

    /// A variable name after `$`: digits (a positional parameter), one
    /// special parameter character, or letters, digits and `_`.
    mutating func name() -> String {
        var name = ""
        guard let first = peek else { return name }
        if first.properties.numericType == .decimal {
            while let scalar = peek, scalar.properties.numericType == .decimal {
                name.unicodeScalars.append(scalar)
                position += 1
            }
            return name
        }
        if "@*#?-$!0".unicodeScalars.contains(first) {
            position += 1
            return String(first)
        }
        while let scalar = peek,
            scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal || scalar == "_"
        {
            name.unicodeScalars.append(scalar)
            position += 1
        }
        return name
    }
}
