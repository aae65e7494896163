import BerthModel

/// One load's shared state: the files read, the variables, and the
/// canonical trees of files already loaded (for `extends: {file:}`).
final class LoadContext {
    let files: SourceFiles
    let environment: [String: String]
    let dotenv: [String: String]
    let interpolate: Bool
    let standardInput: @Sendable () throws(BerthError) -> [UInt8]
    let keepParsedTree: (@Sendable (Node) -> Void)?
    /// Every file read, in order.
    var readOrder: [String] = []
    private var canonicalCache: [String: Node] = [:]
    /// Whether a file read so far holds a `!reset` or `!override` tag.
    private var sawMergeTags = false
    /// Services (`file#name`) whose `extends` is being resolved: meeting one again is a cycle.
    var extendsInProgress: Set<String> = []

    init(
        files: SourceFiles, environment: [String: String], dotenv: [String: String], interpolate: Bool,
        standardInput: @escaping @Sendable () throws(BerthError) -> [UInt8],
        keepParsedTree: (@Sendable (Node) -> Void)? = nil
    ) {
        self.files = files
        self.environment = environment
        self.dotenv = dotenv
        self.interpolate = interpolate
        self.standardInput = standardInput
        self.keepParsedTree = keepParsedTree
    }

    /// A variable's value: the shell's first, then `.env`'s.
    func lookup(_ name: String) -> String? { environment[name] ?? dotenv[name] }

    /// Lets go of the canonical trees kept for `extends`, once the model is
    /// loaded, so that the model holds the only reference to its parts.
    func forgetLoadedFiles() {
        canonicalCache = [:]
    }

    /// Loads, resolves `extends` in, and merges `paths` in order, then applies `include`.
    func loadModel(paths: [String], projectDirectory: String, includeStack: [String]) throws(BerthError) -> Node {
        var merged: Node?
        var allEmpty = true
        for path in paths {
            let file = try loadFile(path, baseDirectory: projectDirectory)
            if !(file.entries?.isEmpty ?? false) { allEmpty = false }
            let resolved = try resolveExtends(file, filePath: path)
            if let base = merged {
                merged = Merge.merge(base, resolved, path: [])
            } else {
                // Without such tags in any file read (extended ones included), there
                // is nothing to take off, and the walk over the tree is skipped.
                merged = sawMergeTags ? Merge.withoutTags(resolved) : resolved
            }
        }
        // An empty override (all commented out) is fine; an empty project is not.
        if allEmpty, let first = paths.first {
            throw BerthError(
                .invalidCompose,
                "\(first == "-" ? "(standard input)" : first): the file is empty; a compose file needs at least a services: section"
            )
        }
        guard var model = merged else { return .map([]) }
        model = try applyInclude(model, projectDirectory: projectDirectory, includeStack: includeStack + paths)
        return model
    }

    /// One file: read, parsed, interpolated and canonicalized (its `extends` not yet resolved).
    func loadFile(_ path: String, baseDirectory: String) throws(BerthError) -> Node {
        let key = "\(path)\u{0}\(baseDirectory)"
        if let cached = canonicalCache[key] { return cached }
        let displayName = path == "-" ? "(standard input)" : path
        let bytes = path == "-" ? try standardInput() : try FileSystem.read(path)
        readOrder.append(displayName)
        try TextCheck.check(bytes, path: displayName)
        // Empty documents (nothing, comments, a lone `---`) add nothing.
        var documents = try YAMLParser(files: files, path: displayName).parse(bytes, sawMergeTags: &sawMergeTags).filter
        { !$0.isNull }
        guard !documents.isEmpty else {
            canonicalCache[key] = .map([])
            return .map([])
        }
        // Several documents in one file merge like several files, each in canonical form
        // (so that `ports: ["80:80"]` and its long form meet on the same key).
        let canonicalizer = Canonicalizer(files: files, baseDirectory: baseDirectory, environment: lookup)
        var canonical: Node?
        for i in documents.indices {
            // Taken out of the array, the parsed tree has one owner, and the
            // canonicalizer frees each service's part once it is done with it:
            // parsed and canonical trees are then never both whole in memory.
            // (Unless `keepParsedTree` takes it, for a process about to exit.)
            var root = documents[i]
            documents[i] = .null()
            keepParsedTree?(root)
            if interpolate {
                var errors: [BerthError] = []
                root = Interpolation.tree(root, files: files, lookup: lookup, errors: &errors)
                if let error = BerthError.combined(errors) { throw error }
            }
            let document = canonicalizer.file(consume root)
            canonical = canonical.map { Merge.merge($0, document, path: []) } ?? document
        }
        if let error = BerthError.combined(canonicalizer.errors) { throw error }
        guard let canonical else { return .map([]) }
        canonicalCache[key] = canonical
        return canonical
    }
}
