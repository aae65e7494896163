/// A compiled path pattern: Go's `filepath.Match` syntax (`*` and `?` never
/// match `/`, `[...]` classes with ranges and `^` negation, `\` escapes),
/// plus the `**` of `.dockerignore` patterns, which matches any number of
/// path elements. Matching is on Unicode scalars, anchored at both ends.
struct GlobPattern: Hashable, Sendable {
    enum Token: Hashable, Sendable {
        case literal(Unicode.Scalar)
        /// `*`: any run of characters but `/`.
        case run
        /// `?`: one character but `/`.
        case one
        case set(CharacterSet)
        /// `**/` inside a pattern: nothing, or anything that ends with `/`.
        case directories
        /// `**` at the end: anything.
        case anything
    }

    /// A bracket expression: ranges, possibly negated.
    struct CharacterSet: Hashable, Sendable {
        var negated: Bool
        var ranges: [ClosedRange<UInt32>]

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            ranges.contains { $0.contains(scalar.value) } != negated
        }
    }

    var tokens: [Token]

    /// Whether the whole of `path` matches.
    func matches(_ path: String) -> Bool {
        matches(Array(path.unicodeScalars), token: 0, at: 0)
    }

    private func matches(_ scalars: [Unicode.Scalar], token: Int, at position: Int) -> Bool {
        guard token < tokens.count else { return position == scalars.count }
        switch tokens[token] {
        case .literal(let scalar):
            return position < scalars.count && scalars[position] == scalar
                && matches(scalars, token: token + 1, at: position + 1)
        case .one:
            return position < scalars.count && scalars[position] != "/"
                && matches(scalars, token: token + 1, at: position + 1)
        case .set(let set):
            return position < scalars.count && set.contains(scalars[position])
                && matches(scalars, token: token + 1, at: position + 1)
        case .run:
            var end = position
            while true {
                if matches(scalars, token: token + 1, at: end) { return true }
                guard end < scalars.count, scalars[end] != "/" else { return false }
                end += 1
            }
        case .directories:
            if matches(scalars, token: token + 1, at: position) { return true }
            for end in position..<scalars.count where scalars[end] == "/" {
                if matches(scalars, token: token + 1, at: end + 1) { return true }
            }
            return false
        case .anything:
            return true
        }
    }

    /// Go's `filepath.Match` pattern; nil when it is malformed (an open
    /// `[`, an empty class, a trailing `\`), as `filepath.ErrBadPattern`.
    static func filepathMatch(_ pattern: String) -> GlobPattern? {
        var scalars = Substring(pattern).unicodeScalars
        var tokens: [Token] = []
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "*": tokens.append(.run)
            case "?": tokens.append(.one)
            case "[":
                guard let set = characterSet(&scalars) else { return nil }
                tokens.append(.set(set))
            case "\\":
                guard let escaped = scalars.popFirst() else { return nil }
                tokens.append(.literal(escaped))
            default:
                tokens.append(.literal(scalar))
            }
        }
        return GlobPattern(tokens: tokens)
    }

    /// Reads a bracket expression after its `[`: `[^a-z_]`. A `\` escapes
    /// the next character; `-` and `]` must be escaped where they would be
    /// ambiguous, as in Go.
    static func characterSet(_ scalars: inout Substring.UnicodeScalarView) -> CharacterSet? {
        var set = CharacterSet(negated: false, ranges: [])
        if scalars.first == "^" {
            set.negated = true
            scalars.removeFirst()
        }
        func character() -> Unicode.Scalar? {
            guard let scalar = scalars.popFirst(), scalar != "-", scalar != "]" else { return nil }
            if scalar == "\\" { return scalars.popFirst() }
            return scalar
        }
        while true {
            if scalars.first == "]", !set.ranges.isEmpty {
                scalars.removeFirst()
                return set
            }
            guard let low = character() else { return nil }
            var high = low
            if scalars.first == "-" {
                scalars.removeFirst()
                guard let end = character() else { return nil }
                high = end
            }
            guard low.value <= high.value else { return nil }
            set.ranges.append(low.value...high.value)
        }
    }
}
