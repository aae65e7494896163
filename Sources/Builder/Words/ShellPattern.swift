/// The pattern of `${VAR#pattern}`, `${VAR%pattern}` and `${VAR/pattern/…}`:
/// `*` any run of characters, `?` any one, `\*` `\?` `\\` literal, and a
/// `\` before `}` or `/` only lets that character through. No bracket
/// expressions.
///
/// BuildKit turns the pattern into a regular expression and takes the
/// leftmost-first match, with `*` lazy for the shortest forms (`#`, `%`) and
/// greedy for the longest (`##`, `%%`, `/`). The matcher below backtracks
/// in that same order of preference, so it finds the same match.
struct ShellPattern: Sendable {
    enum Token: Equatable, Sendable {
        case literal(Unicode.Scalar)
        case any
        case star
    }

    let tokens: [Token]
    /// Whether `*` prefers the longest run.
    let longest: Bool

    init(_ pattern: String, longest: Bool) throws(WordError) {
        var tokens: [Token] = []
        var scalars = pattern.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar {
            case "*": tokens.append(.star)
            case "?": tokens.append(.any)
            case "\\":
                guard let escaped = scalars.next() else {
                    throw WordError(message: "invalid pattern (\(pattern)) in substitution: a trailing '\\'")
                }
                guard "}/*?\\".unicodeScalars.contains(escaped) else {
                    throw WordError(
                        message: "invalid pattern (\(pattern)) in substitution: invalid escape '\\\(escaped)'")
                }
                tokens.append(.literal(escaped))
            default:
                tokens.append(.literal(scalar))
            }
        }
        self.init(tokens: tokens, longest: longest)
    }

    private init(tokens: [Token], longest: Bool) {
        self.tokens = tokens
        self.longest = longest
    }

    /// `value` without the match anchored at its start, or unchanged when none.
    func removingPrefix(of value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        guard let end = match(scalars, from: 0) else { return value }
        return String(String.UnicodeScalarView(scalars[end...]))
    }

    /// `value` without the match anchored at its end: the pattern and the
    /// value are both read backwards, as BuildKit does.
    func removingSuffix(of value: String) -> String {
        let reversed = ShellPattern(tokens: tokens.reversed(), longest: longest)
        let scalars = Array(value.unicodeScalars.reversed())
        guard let end = reversed.match(scalars, from: 0) else { return value }
        return String(String.UnicodeScalarView(scalars[end...].reversed()))
    }

    /// `value` with the first (or every) match replaced. Like Go's
    /// `ReplaceAllString`, an empty match right after a match is not
    /// replaced, and the search always moves on by at least one character.
    func replacing(in value: String, with replacement: String, all: Bool) -> String {
        let scalars = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var searchFrom = 0
        var lastEnd = 0
        while searchFrom <= scalars.count, let (start, end) = firstMatch(scalars, from: searchFrom) {
            out.append(contentsOf: scalars[lastEnd..<start])
            if end > lastEnd || start == 0 { out.append(contentsOf: replacement.unicodeScalars) }
            lastEnd = end
            if !all { break }
            searchFrom = max(searchFrom + 1, end)
        }
        out.append(contentsOf: scalars[lastEnd...])
        return String(out)
    }

    /// The leftmost start at or after `from` where the pattern matches, and its end.
    private func firstMatch(_ scalars: [Unicode.Scalar], from: Int) -> (Int, Int)? {
        for start in from...scalars.count {
            if let end = match(scalars, from: start) { return (start, end) }
        }
        return nil
    }

    /// Where the preferred match starting at `from` ends, or nil.
    func match(_ scalars: [Unicode.Scalar], from: Int) -> Int? {
        match(scalars, token: 0, at: from)
    }

    private func match(_ scalars: [Unicode.Scalar], token: Int, at position: Int) -> Int? {
        guard token < tokens.count else { return position }
        switch tokens[token] {
        case .literal(let scalar):
            guard position < scalars.count, scalars[position] == scalar else { return nil }
            return match(scalars, token: token + 1, at: position + 1)
        case .any:
            guard position < scalars.count else { return nil }
            return match(scalars, token: token + 1, at: position + 1)
        case .star:
            let lengths = Array(0...(scalars.count - position))
            for length in longest ? lengths.reversed() : lengths {
                if let end = match(scalars, token: token + 1, at: position + length) { return end }
            }
            return nil
        }
    }
}
