import BerthModel

/// Turns the short and long syntaxes of a compose file into one canonical
/// long form, checking types and ranges on the way.
///
/// Works on partial services (an override file may hold only `ports:`), so
/// it checks the shape of what is there; whether a service is complete, and
/// whether its references resolve, is checked after merging (6-Validate).
/// Errors are collected, not thrown, so one pass reports them all.
///
/// YAML paths (`services.web.ports[0]`) are passed as autoclosures and
/// joined only when an error prints one: joining them up front cost about
/// 20M instructions on a thousand services. A local path function captures
/// strings only (`let key = e.key`), never a whole entry, which the
/// optimizer would copy (retaining its key and value) at every use.
final class Canonicalizer {
    let files: SourceFiles
    /// Where relative paths in this file resolve from.
    let baseDirectory: String
    /// Variables for bare `KEY` environment entries and `~` (HOME).
    let environment: (String) -> String?
    private(set) var errors: [BerthError] = []

    init(files: SourceFiles, baseDirectory: String, environment: @escaping (String) -> String?) {
        self.files = files
        self.baseDirectory = baseDirectory
        self.environment = environment
    }

    /// Records an error at `mark` for the value at `path`.
    func fail(_ mark: Mark, _ path: String, _ message: String) {
        errors.append(BerthError(.invalidCompose, message, location: files.location(mark), path: path))
    }

    /// Records an error about a value of the wrong kind.
    func wrongType(_ node: Node, _ path: @autoclosure () -> String, expected: String) {
        fail(node.mark, path(), "must be \(expected), not \(node.kindName)")
    }

    /// Checks a mapping's keys against `allowed`, reporting unknown ones with a suggestion.
    /// `x-` keys are extensions and always allowed.
    ///
    /// `allowed` is a Set for long lists and an array literal for short ones:
    /// a Set literal hashes every key into a new table at each call (2,800
    /// instructions for a healthcheck's seven keys), a short array is static.
    /// Returns true when every key was allowed.
    @discardableResult
    func checkKeys(_ entries: [Node.Entry], _ path: @autoclosure () -> String, allowed: some Sequence<String>) -> Bool {
        var allAllowed = true
        for i in entries.indices where !allowed.contains(entries[i].key) && !entries[i].key.hasPrefix("x-") {
            allAllowed = false
            let key = entries[i].key
            let prefix = path().isEmpty ? "" : "\(path())."
            var message = "unknown key \"\(key)\""
            if let close = Suggest.closest(to: key, in: allowed) { message += "; did you mean \"\(close)\"?" }
            fail(entries[i].keyMark, "\(prefix)\(key)", message)
        }
        return allAllowed
    }

    /// Resolves a host path: `~` from HOME, relative from the base directory.
    func hostPath(_ raw: String) -> String {
        Paths.resolve(raw, base: baseDirectory, home: environment("HOME"))
    }
}
