import BerthModel

extension BuildGraph {
    /// The images the build reads, those the base images' `ONBUILD`
    /// triggers add included: call it again after resolving new ones, until
    /// it asks for nothing new, then `plan(images:)`.
    public func requiredImages(given images: [String: BaseImage]) -> [String] {
        var required: [String] = []
        var seen: Set<Int> = []
        var pending = [target]
        while let index = pending.popLast() {
            guard seen.insert(index).inserted else { continue }
            let stage = stages[index]
            required += stage.images
            pending += stage.dependencies
            for trigger in (try? triggers(of: index, images: images, baseConfig: nil)) ?? [] {
                for (flag, name) in GraphStage.sourceNames(trigger) {
                    switch try? SourceName.resolve(
                        name, in: dockerfile, allowsIndex: flag == "--from", at: trigger, flag: flag)
                    {
                    case .image(let reference): required.append(reference)
                    case .stage(let used): pending.append(used)
                    default: break
                    }
                }
            }
        }
        var unique: Set<String> = []
        return required.filter { unique.insert($0).inserted }
    }

    /// Plans every stage the target needs, given the images it reads
    /// (`requiredImages`), keyed by reference as the Dockerfile spells them.
    public func plan(images: [String: BaseImage]) throws(BerthError) -> BuildPlan {
        var planning = Planning(graph: self, images: images)
        try planning.plan(target)
        var stages = planning.planned.values.sorted { $0.index < $1.index }
        if let at = stages.firstIndex(where: { $0.index == target }) {
            for (key, value) in options.labels { stages[at].config.config.labels[key] = value }
        }
        let planned = planning.planned
        let levels = Self.levels(stages.map(\.index)) { planned[$0]?.dependencies ?? [] }
        return BuildPlan(target: target, stages: stages, levels: levels, notes: notes(consumed: planning.usedBuildArgs))
    }

    /// The parse's notes, and the build args that nothing used.
    private func notes(consumed: Set<String>) -> [DockerfileNote] {
        var used = consumed.union(BuildOptions.proxyArgs).union(options.platform.automaticArgs(target: nil).names)
        for instruction in dockerfile.globalArgs {
            if case .arg(let declarations) = instruction.command { used.formUnion(declarations.map(\.name)) }
        }
        let unused = options.buildArgs.keys.filter { !used.contains($0) }.sorted()
        guard !unused.isEmpty else { return dockerfile.notes }
        let location = DockerfileLocation(file: dockerfile.name, line: 0)
        return dockerfile.notes + [
            DockerfileNote(location, "build args no ARG declares were ignored: \(unused.joined(separator: ", "))")
        ]
    }

    /// The `ONBUILD` triggers a stage runs first: its base's `OnBuild`, each
    /// parsed as an instruction and placed at the stage's `FROM`.
    func triggers(
        of index: Int, images: [String: BaseImage], baseConfig: DockerImageConfig?
    ) throws(BerthError) -> [Instruction] {
        let stage = dockerfile.stages[index]
        let expressions: [String]
        switch stages[index].base {
        case .scratch:
            expressions = []
        case .image(let reference):
            expressions = (baseConfig ?? images[reference]?.config)?.config.onBuild ?? []
        case .stage(let base):
            expressions =
                baseConfig?.config.onBuild
                ?? dockerfile.stages[base].instructions.compactMap { instruction in
                    if case .onbuild(let trigger, _) = instruction.command { return trigger }
                    return nil
                }
        }
        var triggers: [Instruction] = []
        for expression in expressions {
            do throws(BerthError) {
                var instruction = try DockerfileParser(name: dockerfile.name).parseTrigger(expression)
                instruction.location = stage.location
                triggers.append(instruction)
            } catch {
                throw .dockerfile(
                    stage.location, "FROM", "the base's ONBUILD trigger \(expression) is invalid (\(error.message))")
            }
        }
        return triggers
    }
}

/// Plans stages on demand, a stage's base before it.
private struct Planning {
    let graph: BuildGraph
    let images: [String: BaseImage]
    var planned: [Int: PlannedStage] = [:]
    var usedBuildArgs: Set<String> = []

    init(graph: BuildGraph, images: [String: BaseImage]) {
        self.graph = graph
        self.images = images
    }

    mutating func plan(_ index: Int) throws(BerthError) {
        guard planned[index] == nil else { return }
        var baseConfig: DockerImageConfig?
        if case .stage(let base) = graph.stages[index].base {
            try plan(base)
            baseConfig = planned[base]?.config
        }
        let triggers = try graph.triggers(of: index, images: images, baseConfig: baseConfig)
        var planner = try StagePlanner(
            stage: graph.dockerfile.stages[index], graph: graph, images: images, planned: planned)
        let stage = try planner.plan(triggers: triggers)
        usedBuildArgs.formUnion(planner.usedBuildArgs)
        planned[index] = stage
        for dependency in stage.dependencies { try plan(dependency) }
    }
}
