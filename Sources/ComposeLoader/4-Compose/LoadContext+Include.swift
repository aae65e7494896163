import BerthModel

extension LoadContext {
    /// One `include` entry as written: a path or a list of them, or
    /// `{path, project_directory, env_file}`.
    private struct IncludeEntry {
        var paths: [String] = []
        var projectDirectory: String?
        var envFiles: [String]?
    }

    /// Loads each `include` entry as its own project and copies its resources in.
    func applyInclude(_ model: Node, projectDirectory: String, includeStack: [String]) throws(BerthError) -> Node {
        guard let include = model.entry("include") else { return model }
        var model = model
        model["include"] = nil
        guard let items = include.value.items else {
            throw BerthError(
                .invalidCompose,
                "must be a list of paths or {path, project_directory, env_file}, not \(include.value.kindName)",
                location: files.location(include.value.mark), path: "include")
        }
        let home = environment["HOME"]
        for (i, item) in items.enumerated() {
            let p = "include[\(i)]"
            let entry = try includeEntry(item, p)
            let absolute = entry.paths.map { Paths.resolve($0, base: projectDirectory, home: home) }
            try checkIncludable(absolute, item, p, includeStack: includeStack)
            let includedDirectory =
                entry.projectDirectory.map { Paths.resolve($0, base: projectDirectory, home: home) }
                ?? Paths.directory(absolute[0])
            let envPaths =
                entry.envFiles.map { $0.map { Paths.resolve($0, base: projectDirectory, home: home) } } ?? [
                    includedDirectory + "/.env"
                ]
            let child = LoadContext(
                files: files, environment: environment, dotenv: try includedVariables(envPaths),
                interpolate: interpolate,
                standardInput: standardInput, keepParsedTree: keepParsedTree)
            let included = try child.loadModel(
                paths: absolute, projectDirectory: includedDirectory, includeStack: includeStack)
            readOrder += child.readOrder
            try copyResources(of: included, into: &model, from: absolute, mark: include.keyMark)
        }
        return model
    }

    /// The entry's paths, project directory and env files, checked for shape.
    private func includeEntry(_ item: Node, _ p: String) throws(BerthError) -> IncludeEntry {
        var entry = IncludeEntry()
        guard let fields = item.entries else {
            // A short entry is a path or a list of them; `[]` names none,
            // and an entry with no path cannot say where its project is.
            entry.paths = try includePaths(item, p)
            return try requirePath(entry, item, p)
        }
        for e in fields {
            switch e.key {
            case "path": entry.paths = try includePaths(e.value, "\(p).path")
            case "project_directory": entry.projectDirectory = try includePaths(e.value, "\(p).project_directory").first
            case "env_file": entry.envFiles = try includePaths(e.value, "\(p).env_file")
            default:
                throw BerthError(
                    .invalidCompose, "unknown key \"\(e.key)\" (path, project_directory or env_file)",
                    location: files.location(e.keyMark), path: "\(p).\(e.key)")
            }
        }
        return try requirePath(entry, item, p)
    }

    private func requirePath(_ entry: IncludeEntry, _ item: Node, _ p: String) throws(BerthError) -> IncludeEntry {
        if entry.paths.isEmpty {
            throw BerthError(
                .invalidCompose, "an include entry needs a \"path\"", location: files.location(item.mark), path: p)
        }
        return entry
    }

    /// A path or a list of paths.
    private func includePaths(_ node: Node, _ path: String) throws(BerthError) -> [String] {
        if let s = node.scalarText, !node.isNull { return [s] }
        guard let list = node.items else {
            throw BerthError(
                .invalidCompose, "must be a path or a list of paths, not \(node.kindName)",
                location: files.location(node.mark), path: path)
        }
        var out: [String] = []
        for n in list {
            guard let s = n.scalarText else {
                throw BerthError(.invalidCompose, "must be a path", location: files.location(n.mark), path: path)
            }
            out.append(s)
        }
        return out
    }

    /// Refuses an included file that is missing or already on the way here (a cycle).
    private func checkIncludable(_ absolute: [String], _ item: Node, _ p: String, includeStack: [String])
        throws(BerthError)
    {
        for path in absolute {
            if let index = includeStack.firstIndex(of: path) {
                // Whole paths: included files are often all called compose.yaml.
                let cycle = includeStack[index...] + [path]
                throw BerthError(
                    .cycle, "include cycle: \(cycle.joined(separator: " -> "))", location: files.location(item.mark),
                    path: p)
            }
            guard FileSystem.kind(path) == .file else {
                throw BerthError(
                    .invalidCompose, "included file \(path) does not exist", location: files.location(item.mark),
                    path: p)
            }
        }
    }

    /// The included project's variables: its own .env gives defaults; this project's variables win.
    private func includedVariables(_ envPaths: [String]) throws(BerthError) -> [String: String] {
        var includedEnv: [String: String] = [:]
        for envPath in envPaths where FileSystem.kind(envPath) == .file {
            for (k, v) in try DotEnv.read(envPath, lookup: { includedEnv[$0] }) { includedEnv[k] = v }
        }
        var combined = includedEnv
        for (k, v) in dotenv { combined[k] = v }
        return combined
    }

    /// Copies the included project's services and resources in. Networks and
    /// volumes of the same name are one resource; services must not clash.
    private func copyResources(of included: Node, into model: inout Node, from absolute: [String], mark: Mark)
        throws(BerthError)
    {
        for section in ["services", "networks", "volumes", "secrets", "configs"] {
            guard let incoming = included[section]?.entries, !incoming.isEmpty else { continue }
            var existing = model[section]?.entries ?? []
            for entry in incoming {
                if let clash = existing.first(where: { $0.key == entry.key }) {
                    if section == "services" {
                        throw BerthError(
                            .invalidCompose,
                            "service \"\(entry.key)\" is defined here and in the included \(absolute.joined(separator: ", "))",
                            location: files.location(clash.keyMark), path: "services.\(entry.key)")
                    }
                    continue
                }
                existing.append(entry)
            }
            model[section] = Node(.mapping(existing), mark: model[section]?.mark ?? mark)
        }
    }
}
