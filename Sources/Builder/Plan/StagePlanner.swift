import BerthModel

/// Plans one stage: starts from its base's config (an image's, an earlier
/// stage's, or scratch), runs the base's `ONBUILD` triggers first, then
/// turns each instruction into a step, expanding words where the Dockerfile
/// reference says the builder expands them and writing the image config and
/// history as BuildKit does.
struct StagePlanner {
    let stage: Stage
    let graphStage: GraphStage
    let dockerfile: Dockerfile
    let options: BuildOptions
    let globalArgs: Variables
    var state: StageState
    var steps: [BuildStep] = []
    /// Build args some `ARG` of this stage consumed.
    var usedBuildArgs: Set<String> = []
    /// The history entry the instruction being planned wrote, if any.
    var pendingHistory: Int?

    var lexer: WordLexer { WordLexer(escape: dockerfile.escape) }

    init(
        stage: Stage, graph: BuildGraph, images: [String: BaseImage], planned: [Int: PlannedStage]
    ) throws(BerthError) {
        self.stage = stage
        graphStage = graph.stages[stage.index]
        dockerfile = graph.dockerfile
        options = graph.options
        globalArgs = graph.globalArgs
        state = try Self.initialState(graphStage.base, stage: stage, images: images, planned: planned, options: options)
    }

    /// The state a stage starts in, as BuildKit sets it up: the base's
    /// config (its `OnBuild` dropped: triggers run once), a `PATH` when it has
    /// none, its environment, working directory and user in effect.
    private static func initialState(
        _ base: StageBase, stage: Stage, images: [String: BaseImage], planned: [Int: PlannedStage],
        options: BuildOptions
    ) throws(BerthError) -> StageState {
        var state: StageState
        switch base {
        case .scratch:
            let config = DockerImageConfig.scratch(options.platform)
            state = StageState(config: config, variables: Variables(environment: config.config.env))
        case .image(let reference):
            guard let image = images[reference] else {
                throw BerthError(
                    .notFound, "\(stage.location): FROM: image \(reference) was not resolved for this build")
            }
            state = StageState(config: image.config, variables: Variables(environment: image.config.config.env))
        case .stage(let index):
            guard let parent = planned[index] else {
                throw BerthError(.notFound, "\(stage.location): FROM: stage \(index) was not planned before it is used")
            }
            state = parent.final
            state.cmdSet = false
        }
        state.config.config.onBuild = nil
        // The base's date is not the build's; the caller dates the image it commits.
        state.config.created = nil
        if !state.config.config.env.contains(where: { Variables.split($0).0 == "PATH" }) {
            state.config.config.env.append("PATH=" + ContainerConfig.defaultPath)
        }
        state.variables = state.variables.merging(Variables(environment: state.config.config.env))
        if let workdir = state.config.config.workingDir {
            state.workdir = Paths.workdir(workdir, from: workdir)
            state.config.config.workingDir = state.workdir
        }
        if let user = state.config.config.user { state.user = user }
        return state
    }

    /// Plans every instruction, the base's triggers first.
    mutating func plan(triggers: [Instruction]) throws(BerthError) -> PlannedStage {
        for trigger in triggers { try dispatch(trigger, isTrigger: true) }
        for instruction in stage.instructions { try dispatch(instruction, isTrigger: false) }
        var dependencies = Set(graphStage.dependencies)
        for step in steps { dependencies.formUnion(step.operation.stagesRead) }
        return PlannedStage(
            index: stage.index, name: stage.name, base: graphStage.base, dependencies: dependencies.sorted(),
            steps: steps, config: state.config, final: state)
    }

    private mutating func dispatch(_ instruction: Instruction, isTrigger: Bool) throws(BerthError) {
        let operation: StepOperation
        var name = instruction.text
        switch instruction.command {
        case .arg(let declarations): operation = try arg(declarations, instruction)
        case .env(let pairs): operation = try env(pairs, instruction)
        case .label(let pairs): operation = try label(pairs, instruction)
        case .maintainer(let author): operation = maintainer(author)
        case .run(let run): (operation, name) = try self.run(run, instruction)
        case .cmd(let command): operation = cmd(command)
        case .entrypoint(let command): operation = entrypoint(command)
        case .shell(let shell): operation = self.shell(shell)
        case .copy(let copy), .add(let copy): (operation, name) = try self.copy(copy, instruction)
        case .workdir(let path): operation = try workdir(path, instruction)
        case .user(let user): operation = try self.user(user, instruction)
        case .volume(let paths): operation = try volume(paths, instruction)
        case .stopSignal(let signal): operation = try stopSignal(signal, instruction)
        case .expose(let ports): operation = try expose(ports, instruction)
        case .healthcheck(let healthcheck): operation = healthcheckStep(healthcheck)
        case .onbuild(let trigger, _): operation = onbuild(trigger)
        }
        let recorded = pendingHistory
        pendingHistory = nil
        steps.append(
            BuildStep(
                instruction: instruction, isTrigger: isTrigger, name: name, operation: operation,
                historyIndex: recorded))
    }

    /// Appends a history entry for the instruction being planned.
    mutating func commit(_ createdBy: String, layer: Bool, buildkitSuffix: Bool = false) {
        pendingHistory = state.config.history.count
        state.config.history.append(
            HistoryEntry(createdBy: buildkitSuffix ? createdBy + " # buildkit" : createdBy, emptyLayer: !layer))
    }

    /// `word` expanded with the variables in scope.
    func expand(_ word: String, _ instruction: Instruction) throws(BerthError) -> String {
        try lexer.expand(word, state.variables, at: instruction)
    }
}

extension StepOperation {
    /// The stages this step reads.
    var stagesRead: [Int] {
        switch self {
        case .copy(let copy):
            if case .stage(let index) = copy.origin { return [index] }
            return []
        case .run(let run):
            return run.mounts.compactMap { mount in
                if case .stage(let index) = mount.origin { return index }
                return nil
            }
        case .makeDirectory, .config:
            return []
        }
    }
}
