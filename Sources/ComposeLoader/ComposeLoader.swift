import BerthModel

/// Loads compose files into a `Project`: finds the files, reads `.env`,
/// parses, interpolates, canonicalizes, resolves `extends` and `include`,
/// merges, applies profiles, validates, and types the result.
///
/// The stages are folders, in the order a load runs them: `1-Parse` (libyaml
/// events to a `Node` tree with file:line:col), `2-Interpolate`, `3-Canonical`
/// (each file in the long form, one file per attribute family),
/// `4-Compose` (`extends`, `include`, merging), `5-Normalize` and
/// `6-Validate` (one pass over the merged services), `7-Decode` (the typed
/// `Project`). `LoadContext` runs the first four for each file; `Finalizer`
/// the next two. Beside them: `Tree` (the node tree), `Text` (the small
/// grammars of compose values), `DotEnv`, and `Emit` (what `config` prints).
public struct ComposeLoader {
    /// The names docker compose looks for, in its order.
    public static let defaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]

    let options: LoadOptions
    let files = SourceFiles()

    public init(options: LoadOptions) {
        self.options = options
    }

    /// Loads the project the options describe.
    public func load() throws(BerthError) -> LoadedProject {
        var options = options
        let cwd = options.workingDirectory
        // .env of the working (or project) directory may name COMPOSE_FILE and friends.
        let earlyDirectory =
            options.projectDirectory.map { Paths.resolve($0, base: cwd, home: options.environment["HOME"]) } ?? cwd
        var dotenv = try readEnvFiles(
            options.envFiles.isEmpty ? nil : options.envFiles, directory: earlyDirectory, base: cwd)
        func variable(_ name: String) -> String? { options.environment[name] ?? dotenv[name] }

        // Which files.
        var paths = options.files
        if paths.isEmpty, let list = variable("COMPOSE_FILE"), !list.isEmpty {
            let separator = variable("COMPOSE_PATH_SEPARATOR").flatMap(\.first) ?? ":"
            paths = list.split(separator: separator).map(String.init)
        }
        if paths.isEmpty {
            paths = [try Self.discover(from: earlyDirectory)]
            // A compose.override.yaml next to it is merged, as docker compose does.
            let dir = Paths.directory(paths[0])
            let base = Paths.base(paths[0])
            let stem = base.hasSuffix(".yml") ? String(base.dropLast(4)) : String(base.dropLast(5))
            for ext in [".yaml", ".yml"] where FileSystem.kind("\(dir)/\(stem).override\(ext)") == .file {
                paths.append("\(dir)/\(stem).override\(ext)")
                break
            }
        }
        let resolvedPaths = paths.map {
            $0 == "-" ? "-" : Paths.resolve($0, base: cwd, home: options.environment["HOME"])
        }
        let projectDirectory: String
        if let dir = options.projectDirectory {
            projectDirectory = Paths.resolve(dir, base: cwd, home: options.environment["HOME"])
        } else if let first = resolvedPaths.first, first != "-" {
            projectDirectory = Paths.directory(first)
        } else {
            projectDirectory = cwd
        }
        if projectDirectory != earlyDirectory && options.envFiles.isEmpty {
            dotenv = try readEnvFiles(nil, directory: projectDirectory, base: cwd)
        }
        options.profiles += (variable("COMPOSE_PROFILES") ?? "").split(separator: ",").map { String($0).trimmingSpaces }
            .filter { !$0.isEmpty }

        let context = LoadContext(
            files: files, environment: options.environment, dotenv: dotenv, interpolate: options.interpolate,
            standardInput: options.standardInput,
            keepParsedTree: options.keepParsedTree)
        var model = try context.loadModel(paths: resolvedPaths, projectDirectory: projectDirectory, includeStack: [])
        context.forgetLoadedFiles()

        // Project name: -p, COMPOSE_PROJECT_NAME, name:, directory.
        let name = try projectName(
            options: options, variable: variable, model: model, projectDirectory: projectDirectory)
        model["name"] = .string(name.rawValue)

        return try Finalizer(
            files: files, options: options, name: name, projectDirectory: projectDirectory, environment: context.lookup
        )
        .finalize(consume model, readFiles: context.readOrder)
    }

    /// The first default file name found in `directory` or a parent.
    static func discover(from directory: String) throws(BerthError) -> String {
        var dir = directory
        while true {
            for name in defaultFileNames {
                let candidate = dir == "/" ? "/\(name)" : "\(dir)/\(name)"
                if FileSystem.kind(candidate) == .file { return candidate }
            }
            if dir == "/" { break }
            dir = Paths.directory(dir)
        }
        throw BerthError(
            .noComposeFile,
            "no compose file found in \(directory) or its parents (looked for \(defaultFileNames.joined(separator: ", "))); name one with -f"
        )
    }

    /// Variables from `.env` files: the given ones, or the directory's `.env` when present.
    func readEnvFiles(_ paths: [String]?, directory: String, base: String) throws(BerthError) -> [String: String] {
        var result: [String: String] = [:]
        let list = paths ?? [directory + "/.env"]
        for raw in list {
            let path = Paths.resolve(raw, base: base, home: options.environment["HOME"])
            if paths == nil, FileSystem.kind(path) != .file { continue }
            let env = options.environment
            for (key, value) in try DotEnv.read(path, lookup: { env[$0] ?? result[$0] }) { result[key] = value }
        }
        return result
    }

    private func projectName(options: LoadOptions, variable: (String) -> String?, model: Node, projectDirectory: String)
        throws(BerthError) -> ProjectName
    {
        // A name given on the command line or in the environment must already be valid.
        let given =
            options.projectName.map { ($0, "-p") }
            ?? variable("COMPOSE_PROJECT_NAME").map { ($0, "COMPOSE_PROJECT_NAME") }
        if let (raw, source) = given, !raw.isEmpty {
            guard let name = ProjectName(raw) else {
                throw BerthError(
                    .invalidCompose,
                    "project name \"\(raw.prefix(80))\" (from \(source)) must contain only lower-case letters, digits, \"-\" and \"_\", and start with a letter or digit, at most \(ProjectName.maxBytes) bytes"
                )
            }
            return name
        }
        // The file's `name:` is cleaned like a directory name, as docker compose does;
        // one that cleans to nothing leaves the choice to the directory.
        if let raw = model["name"]?.scalarText, raw.utf8.count > ProjectName.maxBytes {
            throw BerthError(
                .invalidCompose,
                "project name \"\(raw.prefix(40))…\" (from name:) is \(raw.utf8.count) bytes long; at most \(ProjectName.maxBytes)"
            )
        }
        if let raw = model["name"]?.scalarText, !raw.isEmpty, let name = ProjectName.fromDirectory(raw) {
            return name
        }
        let base = Paths.base(projectDirectory)
        guard let name = ProjectName.fromDirectory(base) else {
            throw BerthError(
                .invalidCompose,
                "cannot make a project name from the directory \"\(base)\"; set one with -p or a top-level name:")
        }
        return name
    }
}
