import BerthModel

/// The build context: a directory, seen through its `.dockerignore`.
///
/// Nothing is read up front but the Dockerfile and the ignore file: the
/// builder reads a file of the context only when a `COPY`, an `ADD` or a
/// `RUN --mount=type=bind` names it (`select`), and hashes only those.
public struct BuildContext: Sendable {
    /// The context directory, absolute, without a trailing `/`.
    public let directory: String
    /// The ignore file in effect (`NAME.dockerignore` beside the Dockerfile,
    /// else the context's `.dockerignore`), nil when there is none.
    public let ignoreFile: String?
    /// Its patterns; empty when there is none.
    public let ignore: PatternMatcher
    let fileSystem: any ContextFileSystem

    /// A context over `directory` with the given ignore patterns.
    public init(
        directory: String, ignore: PatternMatcher, ignoreFile: String? = nil,
        fileSystem: any ContextFileSystem = LocalFileSystem()
    ) {
        self.directory = Self.trimmed(directory)
        self.ignore = ignore
        self.ignoreFile = ignoreFile
        self.fileSystem = fileSystem
    }

    /// Opens the context directory and reads the Dockerfile: a file (a
    /// relative path is relative to the context) or compose's
    /// `dockerfile_inline`. The ignore file is `NAME.dockerignore` beside a
    /// Dockerfile called NAME when there is one, else `.dockerignore` at the
    /// context's root.
    public static func open(
        directory given: String, dockerfile: DockerfileSource, fileSystem: any ContextFileSystem = LocalFileSystem()
    ) throws(BerthError) -> (context: BuildContext, dockerfile: Dockerfile) {
        let directory = trimmed(given)
        guard let root = try fileSystem.entry(at: directory) else {
            throw BerthError(.buildContext, "the build context \(directory) does not exist")
        }
        guard root.isDirectory else {
            throw BerthError(.buildContext, "the build context \(directory) is not a directory")
        }
        var candidates = [directory + "/.dockerignore"]
        let parsed: Dockerfile
        switch dockerfile {
        case .inline(let text):
            parsed = try Dockerfile.parse(text, name: "Dockerfile")
        case .file(let given):
            let path = given.hasPrefix("/") ? given : directory + "/" + given
            guard let entry = try fileSystem.entry(at: path), entry.kind != .directory else {
                throw BerthError(.buildContext, "the Dockerfile \(path) does not exist")
            }
            let text = String(decoding: try fileSystem.contents(of: path), as: UTF8.self)
            parsed = try Dockerfile.parse(text, name: Paths.base(path))
            candidates.insert(path + ".dockerignore", at: 0)
        }
        for candidate in candidates {
            guard let entry = try fileSystem.entry(at: candidate), entry.kind == .file else { continue }
            let patterns = IgnoreFile.patterns(try fileSystem.contents(of: candidate))
            let matcher: PatternMatcher
            do {
                matcher = try PatternMatcher(patterns)
            } catch {
                throw BerthError(.buildContext, "\(candidate): \(error.message)")
            }
            let context = BuildContext(
                directory: directory, ignore: matcher, ignoreFile: candidate, fileSystem: fileSystem)
            return (context, parsed)
        }
        let context = BuildContext(
            directory: directory, ignore: try PatternMatcher([]), ignoreFile: nil, fileSystem: fileSystem)
        return (context, parsed)
    }

    /// `directory` without trailing slashes.
    private static func trimmed(_ directory: String) -> String {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }

    /// The absolute path of `relative` (a path relative to the context, `""` for its root).
    func hostPath(_ relative: String) -> String {
        relative.isEmpty ? directory : directory + "/" + relative
    }

    /// Whether `.dockerignore` keeps `relative` out of the context.
    public func isIgnored(_ relative: String) -> Bool { ignore.matches(relative) }
}

/// Where the Dockerfile of a build comes from.
public enum DockerfileSource: Hashable, Sendable {
    /// A file: absolute, or relative to the context directory.
    case file(String)
    /// compose's `dockerfile_inline`.
    case inline(String)
}
