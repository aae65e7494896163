import BerthModel

/// Finds the heredocs an instruction opens: each word of the form
/// `[n]<<[-]WORD`, where quoting any part of `WORD` turns expansion off
/// (`<<"EOF"`, `<<'EOF'`, `<<E"OF"`) and `-` strips leading tabs.
enum HeredocWords {
    /// The heredocs opened by `line`, in order, bodies still empty.
    static func find(in line: String, location: DockerfileLocation, keyword: String) throws(BerthError) -> [Heredoc] {
        var lexer = WordLexer()
        lexer.keepsQuotes = true
        lexer.keepsEscapes = true
        lexer.keepsUnset = true
        // A line the lexer cannot read (an open quote) opens no heredoc, as in BuildKit.
        guard let words = try? lexer.split(line, Variables()) else { return [] }
        var heredocs: [Heredoc] = []
        for word in words {
            do {
                if let heredoc = try parse(word) { heredocs.append(heredoc) }
            } catch {
                throw .dockerfile(location, keyword, "heredoc \(word): \(error.message)")
            }
        }
        return heredocs
    }

    /// The heredoc `word` opens, or nil when it opens none.
    static func parse(_ word: String) throws(WordError) -> Heredoc? {
        var scalars = Substring(word).unicodeScalars
        var digits = ""
        while let first = scalars.first, first.isASCIIDigit {
            digits.unicodeScalars.append(first)
            scalars.removeFirst()
        }
        guard scalars.starts(with: "<<".unicodeScalars) else { return nil }
        scalars.removeFirst(2)
        let stripsTabs = scalars.first == "-"
        if stripsTabs { scalars.removeFirst() }
        while let first = scalars.first, " \t\n\u{0C}\r".unicodeScalars.contains(first) { scalars.removeFirst() }
        let rest = String(scalars)
        guard !rest.isEmpty, !rest.contains("<") else { return nil }
        var lexer = WordLexer()
        lexer.keepsUnset = true
        let words = try lexer.split(rest, Variables())
        guard words.count == 1 else { return nil }
        lexer.keepsQuotes = true
        let raw = try lexer.split(rest, Variables())
        guard raw.count == 1 else {
            throw WordError(message: "the heredoc delimiter \(rest) reads differently with and without its quotes")
        }
        // Quotes removed from the word mean some part of it was quoted.
        let expands = quoteCount(words[0]) == quoteCount(raw[0])
        return Heredoc(name: words[0], content: "", expands: expands, stripsTabs: stripsTabs, descriptor: Int(digits))
    }

    private static func quoteCount(_ word: String) -> Int {
        word.unicodeScalars.count { $0 == "'" || $0 == "\"" }
    }
}
