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
    private(set) var readOrder: [String] = []
    private var canonicalCache: [String: Node] = [:]
    /// Whether a file read so far holds a `!reset` or `!override` tag.
    private var sawMergeTags = false

    init(files: SourceFiles, environment: [String: String], dotenv: [String: String], interpolate: Bool,
         standardInput: @escaping @Sendable () throws(BerthError) -> [UInt8], keepParsedTree: (@Sendable (Node) -> Void)? = nil) {
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
            throw BerthError(.invalidCompose, "\(first == "-" ? "(standard input)" : first): the file is empty; a compose file needs at least a services: section")
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
        var documents = try YAMLParser(files: files, path: displayName).parse(bytes, sawMergeTags: &sawMergeTags).filter { !$0.isNull }
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

    // MARK: - extends

    /// The file with every service's `extends` resolved and removed.
    func resolveExtends(_ file: Node, filePath: String) throws(BerthError) -> Node {
        guard let services = file["services"]?.entries,
              services.contains(where: { $0.value["extends"] != nil })
        else { return file }
        var memo: [String: Node] = [:]
        var out = services
        for i in out.indices {
            out[i].value = try resolveService(services[i].key, services: services, filePath: filePath, stack: [], memo: &memo)
        }
        var file = file
        file["services"] = Node(.mapping(out), mark: file["services"]?.mark ?? .synthetic)
        return file
    }

    private struct ExtendsStep {
        var service: String
        var file: String
        var mark: Mark
    }

    private func resolveService(
        _ name: String, services: [Node.Entry], filePath: String, stack: [ExtendsStep], memo: inout [String: Node]
    ) throws(BerthError) -> Node {
        let memoKey = "\(filePath)#\(name)"
        if let done = memo[memoKey] { return done }
        guard let entry = services.first(where: { $0.key == name }) else { return .map([]) }
        guard let extends = entry.value["extends"] else { return entry.value }
        let target = extends["service"]?.scalarText ?? ""
        let targetFile = extends["file"]?.scalarText
        let chain = stack + [ExtendsStep(service: name, file: filePath, mark: extends.mark)]
        let targetKey = "\(targetFile ?? filePath)#\(target)"
        if targetKey == memoKey || inProgress.contains(targetKey) {
            // Names carry their file only when the cycle crosses files.
            let steps = chain.map { ($0.service, $0.file) } + [(target, targetFile ?? filePath)]
            let crossesFiles = Set(steps.map(\.1)).count > 1
            func label(_ step: (String, String)) -> String { crossesFiles ? "\(step.0) (\(Paths.base(step.1)))" : step.0 }
            let places = chain.compactMap { step in files.location(step.mark).map { "\(label((step.service, step.file))) at \($0)" } }
            throw BerthError(
                .cycle, "extends cycle: \(steps.map(label).joined(separator: " -> ")) (\(places.joined(separator: "; ")))",
                location: files.location(chain[0].mark), path: "services.\(chain[0].service).extends")
        }
        var base: Node
        var baseServices = services
        var baseFile = filePath
        if let targetFile, targetFile != filePath {
            guard FileSystem.kind(targetFile) == .file else {
                throw BerthError(.invalidCompose, "service \"\(name)\" extends a service in \(targetFile), which does not exist",
                                 location: files.location(extends["file"]?.mark ?? extends.mark), path: "services.\(name).extends.file")
            }
            let other = try loadFile(targetFile, baseDirectory: Paths.directory(targetFile))
            baseServices = other["services"]?.entries ?? []
            baseFile = targetFile
        }
        guard baseServices.contains(where: { $0.key == target }) else {
            let whereText = baseFile == filePath ? "" : " in \(baseFile)"
            var message = "service \"\(name)\" extends \"\(target)\", which is not defined\(whereText)"
            if let close = Suggest.closest(to: target, in: baseServices.map(\.key)) { message += "; did you mean \"\(close)\"?" }
            throw BerthError(.invalidCompose, message, location: files.location(extends["service"]?.mark ?? extends.mark), path: "services.\(name).extends.service")
        }
        inProgress.insert(memoKey)
        defer { inProgress.remove(memoKey) }
        base = try resolveService(target, services: baseServices, filePath: baseFile, stack: chain, memo: &memo)
        var local = entry.value
        local["extends"] = nil
        base["extends"] = nil
        let merged = Merge.merge(base, local, path: ["services", name])
        memo[memoKey] = merged
        return merged
    }

    /// Services (`file#name`) whose `extends` is being resolved: meeting one again is a cycle.
    private var inProgress: Set<String> = []

    // MARK: - include

    /// Loads each `include` entry as its own project and copies its resources in.
    func applyInclude(_ model: Node, projectDirectory: String, includeStack: [String]) throws(BerthError) -> Node {
        guard let include = model.entry("include") else { return model }
        var model = model
        model["include"] = nil
        guard let items = include.value.items else {
            throw BerthError(.invalidCompose, "must be a list of paths or {path, project_directory, env_file}, not \(include.value.kindName)",
                             location: files.location(include.value.mark), path: "include")
        }
        for (i, item) in items.enumerated() {
            let p = "include[\(i)]"
            var paths: [String] = []
            var directory: String?
            var envFiles: [String]?
            func strings(_ node: Node, _ path: String) throws(BerthError) -> [String] {
                if let s = node.scalarText, !node.isNull { return [s] }
                if let list = node.items {
                    var out: [String] = []
                    for n in list {
                        guard let s = n.scalarText else {
                            throw BerthError(.invalidCompose, "must be a path", location: files.location(n.mark), path: path)
                        }
                        out.append(s)
                    }
                    return out
                }
                throw BerthError(.invalidCompose, "must be a path or a list of paths, not \(node.kindName)", location: files.location(node.mark), path: path)
            }
            if item.entries != nil {
                for e in item.entries ?? [] {
                    switch e.key {
                    case "path": paths = try strings(e.value, "\(p).path")
                    case "project_directory": directory = try strings(e.value, "\(p).project_directory").first
                    case "env_file": envFiles = try strings(e.value, "\(p).env_file")
                    default:
                        throw BerthError(.invalidCompose, "unknown key \"\(e.key)\" (path, project_directory or env_file)",
                                         location: files.location(e.keyMark), path: "\(p).\(e.key)")
                    }
                }
                if paths.isEmpty {
                    throw BerthError(.invalidCompose, "an include entry needs a \"path\"", location: files.location(item.mark), path: p)
                }
            } else {
                paths = try strings(item, p)
            }
            let home = environment["HOME"]
            let absolute = paths.map { Paths.resolve($0, base: projectDirectory, home: home) }
            for path in absolute {
                if let index = includeStack.firstIndex(of: path) {
                    // Whole paths: included files are often all called compose.yaml.
                    let cycle = includeStack[index...] + [path]
                    throw BerthError(.cycle, "include cycle: \(cycle.joined(separator: " -> "))", location: files.location(item.mark), path: p)
                }
                guard FileSystem.kind(path) == .file else {
                    throw BerthError(.invalidCompose, "included file \(path) does not exist", location: files.location(item.mark), path: p)
                }
            }
            let includedDirectory = directory.map { Paths.resolve($0, base: projectDirectory, home: home) } ?? Paths.directory(absolute[0])
            // The included project's own .env gives defaults; this project's variables win.
            var includedEnv: [String: String] = [:]
            let envPaths = envFiles.map { $0.map { Paths.resolve($0, base: projectDirectory, home: home) } } ?? [includedDirectory + "/.env"]
            for envPath in envPaths where FileSystem.kind(envPath) == .file {
                for (k, v) in try DotEnv.read(envPath, lookup: { includedEnv[$0] }) { includedEnv[k] = v }
            }
            var combined = includedEnv
            for (k, v) in dotenv { combined[k] = v }
            let child = LoadContext(files: files, environment: environment, dotenv: combined, interpolate: interpolate, standardInput: standardInput,
                keepParsedTree: keepParsedTree)
            let included = try child.loadModel(paths: absolute, projectDirectory: includedDirectory, includeStack: includeStack)
            readOrder += child.readOrder
            for section in ["services", "networks", "volumes", "secrets", "configs"] {
                guard let incoming = included[section]?.entries, !incoming.isEmpty else { continue }
                var existing = model[section]?.entries ?? []
                for entry in incoming {
                    if let clash = existing.first(where: { $0.key == entry.key }) {
                        // Networks and volumes of the same name are one resource; services must not clash.
                        if section == "services" {
                            throw BerthError(.invalidCompose, "service \"\(entry.key)\" is defined here and in the included \(absolute.joined(separator: ", "))",
                                             location: files.location(clash.keyMark), path: "services.\(entry.key)")
                        }
                        continue
                    }
                    existing.append(entry)
                }
                model[section] = Node(.mapping(existing), mark: model[section]?.mark ?? include.keyMark)
            }
        }
        return model
    }
}
