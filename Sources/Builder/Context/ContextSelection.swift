import BerthModel

/// What one `COPY`/`ADD` source (or bind mount source) selects in the
/// context: each path it names or its wildcard matches, and for a directory
/// everything below it that the copy takes.
public struct ContextSource: Hashable, Sendable {
    /// The source as written (expanded).
    public var source: String
    public var matches: [ContextMatch]
}

/// One path a source selects.
public struct ContextMatch: Hashable, Sendable {
    /// The path as matched, relative to the context's root (`""` for the root).
    public var path: String
    /// Where it is once symlinks on the way are followed (within the context).
    public var resolvedPath: String
    /// The entry at `resolvedPath`.
    public var entry: FileEntry
    /// For a directory, what it holds that is copied (`.dockerignore` and
    /// `--exclude` applied; with `--parents`, only what the pattern selects),
    /// relative to it, each directory before what it holds.
    public var contents: [ContextItem]
}

/// One entry below a selected directory.
public struct ContextItem: Hashable, Sendable {
    public var path: String
    public var entry: FileEntry
}

extension BuildContext {
    /// The paths `source` selects, as a copy with these `excludes` (and
    /// `--parents`) would read them. A path that is not there (or that the
    /// `.dockerignore` leaves out) is an error; a wildcard may match nothing.
    public func select(_ source: String, excludes: [String] = [], parents: Bool = false) throws(BerthError)
        -> ContextSource
    {
        let cleaned = Paths.clean(source)
        guard !cleaned.hasPrefix("..") else {
            throw BerthError(.buildContext, "\(source): the path is outside the build context")
        }
        let excluder = try PatternMatcher(excludes)
        if parents { return try selectWithParents(source, excluder: excluder) }
        let relative = Self.relative(cleaned)
        let (fixed, wildcard) = Self.splitWildcards(relative)
        guard let wildcard else {
            let match = try matched(relative, excluder: excluder)
            guard let match else { throw missing(source, relative) }
            return ContextSource(source: source, matches: [match])
        }
        guard let pattern = GlobPattern.filepathMatch(wildcard) else {
            throw BerthError(.buildContext, "\(source): the wildcard pattern is malformed")
        }
        let base = try resolve(fixed, followingLast: true)
        var found: [String] = []
        try walkMatches(base, pattern: pattern, depth: wildcard.split(separator: "/").count, into: &found)
        var matches: [ContextMatch] = []
        for relativeMatch in found {
            let named = fixed.isEmpty ? relativeMatch : fixed + "/" + relativeMatch
            if let match = try matched(named, excluder: excluder) { matches.append(match) }
        }
        return ContextSource(source: source, matches: matches)
    }

    /// `relative` as a match: followed to what it names; nil when missing or ignored.
    private func matched(_ relative: String, excluder: PatternMatcher) throws(BerthError) -> ContextMatch? {
        let resolved = try resolve(relative, followingLast: true)
        guard let entry = try fileSystem.entry(at: hostPath(resolved)) else { return nil }
        let ignored = isIgnored(relative) || isIgnored(resolved)
        guard entry.isDirectory else {
            return ignored ? nil : ContextMatch(path: relative, resolvedPath: resolved, entry: entry, contents: [])
        }
        // An ignored directory still brings what a `!` exception keeps.
        if ignored && !ignore.hasExceptions { return nil }
        let contents = try tree(resolved, excluder: excluder, include: nil)
        if ignored && contents.isEmpty { return nil }
        return ContextMatch(path: relative, resolvedPath: resolved, entry: entry, contents: contents)
    }

    /// `--parents`: the part after a `/./` (or the whole source) is a
    /// pattern kept with its directories, under the part before it.
    private func selectWithParents(_ source: String, excluder: PatternMatcher) throws(BerthError) -> ContextSource {
        // The first `/./` is the pivot: what comes after keeps its directories.
        var root = ""
        var selected = source
        if let pivot = source.firstRange(of: "/./") {
            root = Self.relative(Paths.clean(String(source[..<pivot.lowerBound])))
            selected = String(source[pivot.upperBound...])
        }
        let pattern = Self.relative(Paths.clean("/" + selected))
        let include = try PatternMatcher([pattern])
        let resolved = try resolve(root, followingLast: true)
        guard let entry = try fileSystem.entry(at: hostPath(resolved)), entry.isDirectory else {
            throw missing(source, root)
        }
        let contents = try tree(resolved, excluder: excluder, include: include)
        if !Self.hasWildcards(source), !contents.contains(where: { $0.path == pattern }) {
            throw missing(source, root.isEmpty ? pattern : root + "/" + pattern)
        }
        return ContextSource(
            source: source,
            matches: [ContextMatch(path: root, resolvedPath: resolved, entry: entry, contents: contents)])
    }

    private func missing(_ source: String, _ relative: String) -> BerthError {
        if isIgnored(relative) {
            return BerthError(
                .buildContext,
                "\(source): not in the build context (\(ignoreFile.map(Paths.base) ?? ".dockerignore") excludes \(relative))"
            )
        }
        return BerthError(.buildContext, "\(source): not found in the build context")
    }

    /// The path without its leading `/` (`""` for the root).
    static func relative(_ cleaned: String) -> String {
        let trimmed = cleaned.drop { $0 == "/" }
        return trimmed == "." ? "" : String(trimmed)
    }

    /// The path before its first element with a wildcard, and the rest (nil without one).
    static func splitWildcards(_ path: String) -> (String, String?) {
        let components = path.split(separator: "/").map(String.init)
        guard let first = components.firstIndex(where: hasWildcards) else { return (path, nil) }
        return (components[..<first].joined(separator: "/"), components[first...].joined(separator: "/"))
    }

    /// Whether `text` has an unescaped `*`, `?` or `[`.
    static func hasWildcards(_ text: String) -> Bool {
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped {
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "*" || scalar == "?" || scalar == "[" {
                return true
            }
        }
        return false
    }
}
