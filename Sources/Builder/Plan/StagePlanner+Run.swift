import BerthModel

/// `RUN`: the command, its heredocs, its environment and its mounts.
extension StagePlanner {
    mutating func run(_ run: RunInstruction, _ instruction: Instruction) throws(BerthError) -> (StepOperation, String) {
        var name = instruction.text
        var inlineFiles: [InlineFile] = []
        let arguments: [String]
        switch run.command {
        case .exec(let exec):
            arguments = exec
        case .shell(let text, let heredocs) where heredocs.isEmpty:
            arguments = shellPrefix + [text]
        case .shell(let text, let heredocs):
            // `RUN <<EOF` alone runs the body (as a script when it starts with
            // `#!`); anything else hands the shell the line and the bodies.
            if (try? HeredocWords.parse(text)) != nil, let only = heredocs.first {
                let body = only.body
                if body.hasPrefix("#!") {
                    let path = "/dev/pipes/" + only.name
                    inlineFiles.append(InlineFile(path: path, content: body, mode: 0o755))
                    arguments = shellPrefix + [path]
                } else {
                    arguments = shellPrefix + [body]
                }
                name += " (\(Self.summary(of: only.content)))"
            } else {
                arguments = shellPrefix + [heredocs.reduce(text) { $0 + "\n" + $1.content + $1.name }]
            }
        }
        let mounts = try run.mounts.map { (spec: String) throws(BerthError) -> PlannedMount in
            try plannedMount(spec, instruction)
        }
        var proxies = options.proxyEnvironment
        for name in proxies.names where state.variables[name] != nil { proxies[name] = nil }
        let step = RunStep(
            arguments: arguments, environment: state.variables, proxyEnvironment: proxies,
            workingDirectory: state.workdir, user: state.user, network: run.network, mounts: mounts,
            inlineFiles: inlineFiles,
            settings: RunSettings(
                network: options.network, extraHosts: options.extraHosts, shmSize: options.shmSize,
                ulimits: options.ulimits))
        commit("RUN " + historyCommand(arguments), layer: true, buildkitSuffix: true)
        return (.run(step), displayName(name))
    }

    /// `|2 A=1 B=2 /bin/sh -c make`: the ARGs declared in scope, their
    /// count first, then the arguments, as BuildKit records a `RUN`.
    private func historyCommand(_ arguments: [String]) -> String {
        let args = state.declaredArgs.entries.map { "\($0.name)=\(state.variables[$0.name] ?? $0.value)" }
        let prefix = args.isEmpty ? [] : ["|\(args.count)"] + args
        return (prefix + arguments).joined(separator: " ")
    }

    /// The step's name with variables expanded (unset ones left as written).
    private func displayName(_ text: String) -> String {
        var lexer = lexer
        lexer.keepsQuotes = true
        lexer.keepsUnset = true
        return (try? lexer.expand(text, state.variables)) ?? text
    }

    /// A heredoc's first line, with `...` when it has more.
    static func summary(of content: String) -> String {
        let lines = content.trimmingBlanks.split(separator: "\n", omittingEmptySubsequences: false)
        let first = lines.first.map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) } ?? ""
        return lines.count > 1 ? first + "..." : first
    }

    /// One `--mount`: values expanded, parsed, and its target and origin resolved.
    private func plannedMount(_ spec: String, _ instruction: Instruction) throws(BerthError) -> PlannedMount {
        let mount: RunMount
        do {
            let fields = try CSVRecord.fields(spec).map { (field: String) throws(WordError) -> String in
                guard let equals = field.firstIndex(of: "=") else { return field }
                let value = try lexer.expand(String(field[field.index(after: equals)...]), state.variables)
                return field[..<equals] + "=" + value
            }
            mount = try RunMount.parse(fields: fields)
        } catch {
            throw .dockerfile(instruction.location, instruction.keyword, "--mount=\(spec): \(error.message)")
        }
        func failure(_ what: String, code: BerthError.Code = .invalidDockerfile) -> BerthError {
            .dockerfile(instruction.location, instruction.keyword, "--mount=\(spec): \(what)", code: code)
        }
        switch mount.kind {
        case .ssh:
            throw failure("type=ssh is not supported: Berth forwards no SSH agent to builds", code: .unsupported)
        case .secret:
            guard let id = mount.id ?? mount.source ?? mount.target.map(Paths.base) else {
                throw failure("a secret mount needs an id or a target")
            }
            let target =
                mount.env == nil
                ? absolute(mount.target ?? "/run/secrets/" + Paths.base(id)) : mount.target.map(absolute)
            return PlannedMount(mount: mount, target: target ?? "", origin: .empty, sourcePath: "/", id: id)
        case .bind, .cache, .tmpfs:
            guard let written = mount.target, !written.isEmpty else { throw failure("a target is needed") }
            let target = absolute(written)
            guard target != "/" else { throw failure("the target cannot be /") }
            let origin = try origin(of: mount, instruction)
            let id = mount.kind == .cache ? mount.id ?? Paths.clean(written) : nil
            return PlannedMount(
                mount: mount, target: target, origin: origin, sourcePath: Paths.join("/", mount.source ?? ""), id: id)
        }
    }

    private func absolute(_ path: String) -> String {
        Paths.clean(path).hasPrefix("/") ? Paths.clean(path) : Paths.join("/", state.workdir, path)
    }

    /// What `from=` names; the context for a bind without it, nothing for the others.
    private func origin(of mount: RunMount, _ instruction: Instruction) throws(BerthError) -> MountOrigin {
        guard let from = mount.from else { return mount.kind == .bind ? .context : .empty }
        if mount.kind == .tmpfs { return .empty }
        return try resolvedOrigin(from, allowsIndex: false, flag: "--mount from", instruction)
    }

    /// A `--from`/`from=` name as an origin; a stage must be defined before this one.
    func resolvedOrigin(
        _ name: String, allowsIndex: Bool, flag: String, _ instruction: Instruction
    ) throws(BerthError) -> MountOrigin {
        switch try SourceName.resolve(name, in: dockerfile, allowsIndex: allowsIndex, at: instruction, flag: flag) {
        case .context: return .context
        case .scratch: return .empty
        case .image(let reference): return .image(reference)
        case .stage(let index):
            guard index < stage.index else {
                throw .dockerfile(
                    instruction.location, instruction.keyword,
                    "\(flag)=\(name) names a stage that is not defined before this one (\(stage.displayName))")
            }
            return .stage(index)
        }
    }
}
