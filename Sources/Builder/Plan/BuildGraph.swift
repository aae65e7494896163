import BerthModel

/// The stages of a Dockerfile as a graph, before any image is looked at:
/// the global ARGs resolved, every `FROM` expanded and resolved to scratch,
/// an image or an earlier stage, the target chosen, the stages it needs, and
/// the order in which they can be built (independent stages side by side).
///
/// A stage depends on its base stage and on every stage it copies or mounts
/// from; a name that is no stage is an image (`COPY --from=nginx:1.27`).
/// A stage may only use stages defined before it, as in BuildKit, so the
/// graph has no cycles.
public struct BuildGraph: Sendable {
    public let dockerfile: Dockerfile
    public let options: BuildOptions
    /// Every stage, in Dockerfile order.
    public let stages: [GraphStage]
    /// The index of the stage to build.
    public let target: Int
    /// The global scope: the automatic platform ARGs and the ARGs before the
    /// first `FROM`, with the build args given.
    let globalArgs: Variables

    public init(dockerfile: Dockerfile, options: BuildOptions = BuildOptions()) throws(BerthError) {
        self.dockerfile = dockerfile
        self.options = options
        let targetIndex = try Self.targetIndex(dockerfile, options)
        let args = try Self.globalArgs(dockerfile, options, targetName: dockerfile.stages[targetIndex].name)
        globalArgs = args
        var stages: [GraphStage] = []
        for stage in dockerfile.stages {
            stages.append(try GraphStage(stage, earlier: stages, args: args, dockerfile: dockerfile, options: options))
        }
        self.stages = stages
        target = targetIndex
        try checkUses(needed(from: [target]))
    }

    /// The stages the target needs, itself included, in Dockerfile order.
    public var neededStages: [Int] { needed(from: [target]) }

    /// The images the needed stages read, in order of first use.
    public var images: [String] {
        var seen: Set<String> = []
        return neededStages.flatMap { stages[$0].images }.filter { seen.insert($0).inserted }
    }

    /// Needed stages grouped in levels: a stage's dependencies are all in
    /// earlier levels, so the stages of one level can be built in parallel.
    public var levels: [[Int]] { Self.levels(neededStages) { stages[$0].dependencies } }

    /// For an image the caller cannot find: the stage it may have meant
    /// (`COPY --from=buidler` when there is a stage `builder`), to say so.
    public func stageHint(forImage reference: String) -> String? {
        Suggest.closest(to: reference, in: dockerfile.stages.compactMap(\.name))
    }

    /// The stages reachable from `roots` through bases, `--from`s and mounts.
    func needed(from roots: [Int], extra: [Int: [Int]] = [:]) -> [Int] {
        var seen: Set<Int> = []
        var pending = roots
        while let index = pending.popLast() {
            guard seen.insert(index).inserted else { continue }
            pending += stages[index].dependencies + (extra[index] ?? [])
        }
        return seen.sorted()
    }

    static func levels(_ indices: [Int], dependencies: (Int) -> [Int]) -> [[Int]] {
        var level: [Int: Int] = [:]
        for index in indices.sorted() {
            level[index] = (dependencies(index).compactMap { level[$0] }.max() ?? -1) + 1
        }
        let depth = (level.values.max() ?? -1) + 1
        return (0..<depth).map { depthIndex in indices.sorted().filter { level[$0] == depthIndex } }
    }

    /// A needed stage may only read stages defined before it.
    private func checkUses(_ needed: [Int]) throws(BerthError) {
        for index in needed {
            for use in stages[index].stageUses where use.stage >= index {
                throw .dockerfile(
                    use.location, use.keyword,
                    "\(use.flag)=\(use.name) names stage \(stages[use.stage].displayName), which is not defined before "
                        + "this stage (\(stages[index].displayName)); only earlier stages can be used")
            }
        }
    }

    private static func targetIndex(_ dockerfile: Dockerfile, _ options: BuildOptions) throws(BerthError) -> Int {
        guard let target = options.target else { return dockerfile.stages.count - 1 }
        let lowered = target.lowercased()
        if let stage = dockerfile.stages.first(where: { $0.name == lowered }) { return stage.index }
        let names = dockerfile.stages.compactMap(\.name)
        var message = "\(dockerfile.name): target stage \"\(target)\" is not in the Dockerfile"
        if let close = Suggest.closest(to: target, in: names) {
            message += "; did you mean \"\(close)\"?"
        } else if !names.isEmpty {
            message += " (its stages: \(names.joined(separator: ", ")))"
        }
        throw BerthError(.notFound, message)
    }

    /// The automatic ARGs, then each ARG before the first FROM: a build arg
    /// of its name wins over its default, which may use the ARGs above it.
    private static func globalArgs(
        _ dockerfile: Dockerfile, _ options: BuildOptions, targetName: String?
    ) throws(BerthError) -> Variables {
        var args = options.platform.automaticArgs(target: targetName)
        for name in args.names { if let given = options.buildArgs[name] { args[name] = given } }
        let lexer = WordLexer(escape: dockerfile.escape)
        for instruction in dockerfile.globalArgs {
            guard case .arg(let declarations) = instruction.command else { continue }
            for declaration in declarations {
                if let given = options.buildArgs[declaration.name] {
                    args[declaration.name] = given
                } else if let value = declaration.defaultValue {
                    args[declaration.name] = try lexer.expand(value, args, at: instruction)
                }
            }
        }
        return args
    }
}

extension WordLexer {
    /// `expand`, with a failure reported at `instruction`.
    func expand(_ word: String, _ variables: Variables, at instruction: Instruction) throws(BerthError) -> String {
        do {
            return try expand(word, variables)
        } catch {
            throw .dockerfile(instruction.location, instruction.keyword, "cannot expand \(word): \(error.message)")
        }
    }
}
