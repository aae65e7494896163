import BerthModel

/// The instructions that change only the image config (and `WORKDIR`,
/// which also makes its directory).
extension StagePlanner {
    /// `ARG`: a build arg of the name wins over the default; without either,
    /// a global ARG of the name gives its value; without that, the ARG is
    /// declared but unset (expanding to nothing).
    mutating func arg(_ declarations: [ArgDeclaration], _ instruction: Instruction) throws(BerthError) -> StepOperation
    {
        var written: [String] = []
        for declaration in declarations {
            var value: String?
            if let given = options.buildArgs[declaration.name] {
                value = given
                usedBuildArgs.insert(declaration.name)
            } else if let defaultValue = declaration.defaultValue {
                value = try expand(defaultValue, instruction)
            } else if let global = globalArgs[declaration.name] {
                value = global
            }
            if let value { state.variables[declaration.name] = value }
            state.declaredArgs[declaration.name] = value ?? ""
            written.append(value.map { "\(declaration.name)=\($0)" } ?? declaration.name)
        }
        commit("ARG " + written.joined(separator: " "), layer: false)
        return .config
    }

    /// `ENV`: every pair expanded with the variables as they were before the
    /// instruction, then set in order.
    mutating func env(_ pairs: [KeyValue], _ instruction: Instruction) throws(BerthError) -> StepOperation {
        let expanded = try expandPairs(pairs, instruction)
        for (key, value) in expanded {
            state.variables[key] = value
            state.config.config.setEnv(key, value)
        }
        commit("ENV" + expanded.map { " \($0.0)=\($0.1)" }.joined(), layer: false)
        return .config
    }

    mutating func label(_ pairs: [KeyValue], _ instruction: Instruction) throws(BerthError) -> StepOperation {
        let expanded = try expandPairs(pairs, instruction)
        for (key, value) in expanded { state.config.config.labels[key] = value }
        commit("LABEL" + expanded.map { " \($0.0)=\($0.1)" }.joined(), layer: false)
        return .config
    }

    private func expandPairs(_ pairs: [KeyValue], _ instruction: Instruction) throws(BerthError) -> [(String, String)] {
        var expanded: [(String, String)] = []
        for pair in pairs {
            expanded.append((try expand(pair.key, instruction), try expand(pair.value, instruction)))
        }
        return expanded
    }

    mutating func maintainer(_ author: String) -> StepOperation {
        state.config.author = author
        commit("MAINTAINER " + author, layer: false)
        return .config
    }

    mutating func cmd(_ command: CommandForm) -> StepOperation {
        let arguments = withShell(command)
        state.config.config.cmd = arguments
        state.config.config.argsEscaped = true
        state.cmdSet = true
        commit("CMD " + GoQuote.quoted(arguments), layer: false)
        return .config
    }

    /// `ENTRYPOINT` also clears a `CMD` inherited from the base, unless this
    /// stage set one.
    mutating func entrypoint(_ command: CommandForm) -> StepOperation {
        let arguments = withShell(command)
        state.config.config.entrypoint = arguments
        if !state.cmdSet { state.config.config.cmd = nil }
        commit("ENTRYPOINT " + GoQuote.quoted(arguments), layer: false)
        return .config
    }

    mutating func shell(_ shell: [String]) -> StepOperation {
        state.config.config.shell = shell
        commit("SHELL " + GoQuote.plain(shell), layer: false)
        return .config
    }

    /// The exec form as is; the shell form after the image's `SHELL`
    /// (default `/bin/sh -c`).
    func withShell(_ command: CommandForm) -> [String] {
        switch command {
        case .exec(let arguments): return arguments
        case .shell(let text, _): return shellPrefix + [text]
        }
    }

    var shellPrefix: [String] {
        if let shell = state.config.config.shell, !shell.isEmpty { return shell }
        return ["/bin/sh", "-c"]
    }

    /// `WORKDIR`: relative to the previous one; makes the directory (a
    /// layer) unless it is `/`.
    mutating func workdir(_ path: String, _ instruction: Instruction) throws(BerthError) -> StepOperation {
        let directory = Paths.workdir(try expand(path, instruction), from: state.config.config.workingDir ?? "")
        state.config.config.workingDir = directory
        state.workdir = directory
        let makesDirectory = directory != "/"
        commit("WORKDIR " + directory, layer: makesDirectory)
        return makesDirectory ? .makeDirectory(path: directory, user: state.config.config.user) : .config
    }

    mutating func user(_ user: String, _ instruction: Instruction) throws(BerthError) -> StepOperation {
        let expanded = try expand(user, instruction)
        state.user = expanded
        state.config.config.user = expanded
        commit("USER " + expanded, layer: false)
        return .config
    }

    mutating func volume(_ paths: [String], _ instruction: Instruction) throws(BerthError) -> StepOperation {
        var expanded: [String] = []
        for path in paths {
            let volume = try expand(path, instruction)
            guard !volume.isEmpty else {
                throw .dockerfile(instruction.location, instruction.keyword, "\(path) expands to an empty path")
            }
            expanded.append(volume)
        }
        state.config.config.volumes = Array(Set(state.config.config.volumes + expanded)).sorted()
        commit("VOLUME " + GoQuote.plain(expanded), layer: false)
        return .config
    }

    mutating func stopSignal(_ signal: String, _ instruction: Instruction) throws(BerthError) -> StepOperation {
        let expanded = try expand(signal, instruction)
        guard Signals.number(expanded) != nil else {
            throw .dockerfile(
                instruction.location, instruction.keyword, "\(expanded) is not a signal (like SIGTERM or 15)")
        }
        state.config.config.stopSignal = expanded
        commit("STOPSIGNAL " + expanded, layer: false)
        return .config
    }

    mutating func expose(_ words: [String], _ instruction: Instruction) throws(BerthError) -> StepOperation {
        var ports: [String] = []
        for word in words {
            let split: [String]
            do {
                split = try lexer.split(word, state.variables)
            } catch {
                throw .dockerfile(instruction.location, instruction.keyword, "cannot expand \(word): \(error.message)")
            }
            for spec in split {
                do {
                    ports += try PortSpec.exposed(spec)
                } catch {
                    throw .dockerfile(
                        instruction.location, instruction.keyword, "invalid port \(spec): \(error.message)")
                }
            }
        }
        state.config.config.exposedPorts = Array(Set(state.config.config.exposedPorts + ports)).sorted()
        commit("EXPOSE " + GoQuote.plain(ports), layer: false)
        return .config
    }

    mutating func healthcheckStep(_ healthcheck: HealthcheckInstruction) -> StepOperation {
        var config: HealthcheckConfig
        switch healthcheck {
        case .none:
            config = HealthcheckConfig(test: ["NONE"])
        case .check(let command, let options):
            switch command {
            case .exec(let arguments): config = HealthcheckConfig(test: ["CMD"] + arguments)
            case .shell(let text, _): config = HealthcheckConfig(test: ["CMD-SHELL", text])
            }
            config.interval = options.interval.map(\.nanoseconds) ?? 0
            config.timeout = options.timeout.map(\.nanoseconds) ?? 0
            config.startPeriod = options.startPeriod.map(\.nanoseconds) ?? 0
            config.startInterval = options.startInterval.map(\.nanoseconds) ?? 0
            config.retries = options.retries ?? 0
        }
        state.config.config.healthcheck = config
        commit("HEALTHCHECK " + config.goDescription, layer: false)
        return .config
    }

    /// `ONBUILD`: stored in the image for the stages and images built on it; no history entry.
    mutating func onbuild(_ trigger: String) -> StepOperation {
        state.config.config.onBuild = (state.config.config.onBuild ?? []) + [trigger]
        return .config
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
