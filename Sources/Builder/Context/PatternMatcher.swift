import BerthModel

/// `.dockerignore` patterns, and `COPY --exclude` and `--parents` ones,
/// with moby/patternmatcher's semantics: each pattern cleaned like a path,
/// `!` makes an exception, later patterns win over earlier ones, and a
/// pattern that matches a directory matches everything below it.
///
/// As in patternmatcher, a pattern is compiled to one of four kinds, which
/// matters at the edges: a plain path matches exactly; one that ends in
/// `**` (and has nothing else special) matches by prefix; one that starts
/// with `**` and has nothing else special matches by suffix (so `**.txt`
/// matches `a/b.txt`); everything else is a glob where `**/` spans
/// directories.
public struct PatternMatcher: Hashable, Sendable {
    struct Pattern: Hashable, Sendable {
        enum Kind: Hashable, Sendable {
            case exact(String)
            case prefix(String)
            case suffix(String)
            case glob(GlobPattern)
        }

        var text: String
        var kind: Kind
        var isException: Bool

        func matches(_ path: String) -> Bool {
            switch kind {
            case .exact(let exact): return path == exact
            case .prefix(let prefix): return path.hasPrefix(prefix)
            case .suffix(let suffix):
                return path.hasSuffix(suffix) || (suffix.hasPrefix("/") && path == suffix.dropFirst())
            case .glob(let glob): return glob.matches(path)
            }
        }
    }

    let patterns: [Pattern]

    /// Whether any pattern is an exception (`!…`): then an excluded
    /// directory must still be walked, for what the exception brings back.
    public var hasExceptions: Bool { patterns.contains { $0.isException } }

    /// The patterns, in order; blank ones skipped.
    public init(_ lines: [String]) throws(BerthError) {
        var patterns: [Pattern] = []
        for line in lines {
            var text = line.trimmingBlanks
            if text.isEmpty { continue }
            text = Paths.clean(text)
            let isException = text.hasPrefix("!")
            if isException {
                text.removeFirst()
                guard !text.isEmpty else { throw BerthError(.buildContext, "illegal exception pattern: \"!\"") }
            }
            // Go's `filepath.Match` decides what is malformed, as in patternmatcher.
            guard GlobPattern.filepathMatch(text) != nil, let kind = Self.compile(text) else {
                throw BerthError(.buildContext, "malformed pattern \(line)")
            }
            patterns.append(Pattern(text: text, kind: kind, isException: isException))
        }
        self.patterns = patterns
    }

    /// Whether `path` (relative, `/`-separated) matches, its parent
    /// directories' matches included: patternmatcher's
    /// `MatchesOrParentMatches`.
    public func matches(_ path: String) -> Bool {
        // The context's root itself is never excluded.
        guard !path.isEmpty, path != "." else { return false }
        var components = path.split(separator: "/").map(String.init)
        var parents: [Bool]?
        var prefix = ""
        if !components.isEmpty { components.removeLast() }
        for component in components {
            prefix = prefix.isEmpty ? component : prefix + "/" + component
            parents = matchInfo(prefix, parents: parents).1
        }
        return matchInfo(path, parents: parents).0
    }

    /// One step of a walk: whether `path` matches, given which patterns its
    /// parent directory matched (nil at the top); and which patterns `path`
    /// matched, for its children. A pattern that matched the parent matches
    /// the child; otherwise, later patterns override earlier ones.
    func matchInfo(_ path: String, parents: [Bool]?) -> (Bool, [Bool]) {
        var matched = false
        var info = [Bool](repeating: false, count: patterns.count)
        for (index, pattern) in patterns.enumerated() {
            var match = parents?[index] ?? false
            if !match {
                // An exception only matters once something matched; an
                // exclusion only when nothing has yet.
                guard pattern.isException == matched else { continue }
                match = pattern.matches(path)
                if !match, parents == nil { match = Self.parentMatches(pattern, path) }
            }
            info[index] = match
            if match { matched = !pattern.isException }
        }
        return (matched, info)
    }

    private static func parentMatches(_ pattern: Pattern, _ path: String) -> Bool {
        let components = path.split(separator: "/")
        guard components.count > 1 else { return false }
        var prefix = ""
        for component in components.dropLast() {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if pattern.matches(prefix) { return true }
        }
        return false
    }

    /// The kind a cleaned pattern compiles to, and its glob when it is one.
    static func compile(_ text: String) -> Pattern.Kind? {
        var scalars = Substring(text).unicodeScalars
        var tokens: [GlobPattern.Token] = []
        var kind = "exact"
        var first = true
        while let scalar = scalars.popFirst() {
            defer { first = false }
            switch scalar {
            case "*" where scalars.first == "*":
                scalars.removeFirst()
                if scalars.first == "/" { scalars.removeFirst() }
                if scalars.isEmpty {
                    if kind == "exact" { kind = "prefix" } else { kind = "glob" }
                    tokens.append(.anything)
                } else {
                    tokens.append(.directories)
                    kind = "glob"
                }
                if first { kind = "suffix" }
            case "*": tokens.append(.run); kind = "glob"
            case "?": tokens.append(.one); kind = "glob"
            case "\\":
                guard let escaped = scalars.popFirst() else {
                    tokens.append(.literal("\\"))
                    continue
                }
                tokens.append(.literal(escaped))
                kind = "glob"
            case "[":
                guard let set = GlobPattern.characterSet(&scalars) else { return nil }
                tokens.append(.set(set))
                kind = "glob"
            default:
                tokens.append(.literal(scalar))
            }
        }
        switch kind {
        case "exact": return .exact(text)
        case "prefix": return .prefix(String(text.dropLast(2)))
        case "suffix": return .suffix(String(text.dropFirst(2)))
        default: return .glob(GlobPattern(tokens: tokens))
        }
    }
}
