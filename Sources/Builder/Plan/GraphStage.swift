import BerthModel

/// One stage in the graph: its expanded base and what it reads.
public struct GraphStage: Hashable, Sendable {
    public let index: Int
    public let name: String?
    public let base: StageBase
    /// The stages it reads (its base, `COPY --from`, `RUN --mount from=`), sorted.
    public let dependencies: [Int]
    /// The images it reads, in order of first use.
    public let images: [String]
    /// Every stage use, to check that each names an earlier stage.
    let stageUses: [StageUse]

    /// `name`, or `stage-N`.
    public var displayName: String { name ?? "stage-\(index)" }

    init(
        _ stage: Stage, earlier: [GraphStage], args: Variables, dockerfile: Dockerfile, options: BuildOptions
    ) throws(BerthError) {
        index = stage.index
        name = stage.name
        base = try Self.base(of: stage, earlier: earlier, args: args, dockerfile: dockerfile, options: options)
        var uses: [StageUse] = []
        var images: [String] = []
        if case .image(let reference) = base { images.append(reference) }
        for instruction in stage.instructions {
            for (flag, name) in Self.sourceNames(instruction) {
                let source = try SourceName.resolve(
                    name, in: dockerfile, allowsIndex: flag == "--from", at: instruction, flag: flag)
                switch source {
                case .stage(let used):
                    uses.append(
                        StageUse(
                            stage: used, name: name, flag: flag, keyword: instruction.keyword,
                            location: instruction.location))
                case .image(let reference): images.append(reference)
                case .scratch, .context: break
                }
            }
        }
        var seen: Set<String> = []
        self.images = images.filter { seen.insert($0).inserted }
        stageUses = uses
        var dependencies = Set(uses.map(\.stage))
        if case .stage(let baseIndex) = base { dependencies.insert(baseIndex) }
        self.dependencies = dependencies.sorted()
    }

    /// The `--from` of `COPY` and the `from=` of each `RUN --mount`, as written.
    static func sourceNames(_ instruction: Instruction) -> [(flag: String, name: String)] {
        switch instruction.command {
        case .copy(let copy):
            return copy.from.map { [("--from", $0)] } ?? []
        case .run(let run):
            return run.mounts.compactMap { spec in RunMount.field("from", in: spec).map { ("--mount from", $0) } }
        default:
            return []
        }
    }

    private static func base(
        of stage: Stage, earlier: [GraphStage], args: Variables, dockerfile: Dockerfile, options: BuildOptions
    ) throws(BerthError) -> StageBase {
        let from = Instruction(location: stage.location, keyword: "FROM", text: stage.text, command: .arg([]))
        let lexer = WordLexer(escape: dockerfile.escape)
        let expanded = try lexer.expand(stage.base, args, at: from)
        guard !expanded.isEmpty else {
            throw .dockerfile(stage.location, "FROM", "the base \(stage.base) expands to nothing")
        }
        if let platform = stage.platform {
            let value = try lexer.expand(platform, args, at: from)
            guard let parsed = Platform.parse(value) else {
                throw .dockerfile(stage.location, "FROM", "--platform=\(value) is not a platform (like linux/amd64)")
            }
            guard parsed == options.platform else {
                throw .dockerfile(
                    stage.location, "FROM",
                    "--platform=\(value): Berth builds for this machine's platform only (\(options.platform))",
                    code: .unsupported)
            }
        }
        if let baseStage = earlier.first(where: { $0.name == expanded }) { return .stage(baseStage.index) }
        if expanded == "scratch" { return .scratch }
        if let problem = ImageName.problem(expanded) {
            throw .dockerfile(stage.location, "FROM", "\(expanded) is not an image reference: \(problem)")
        }
        return .image(expanded)
    }
}

/// A use of a stage by `COPY --from` or `RUN --mount from=`.
struct StageUse: Hashable, Sendable {
    var stage: Int
    var name: String
    var flag: String
    var keyword: String
    var location: DockerfileLocation
}

/// Where a `--from` or `from=` reads: a stage (by name, or by index for
/// `COPY --from`), `scratch`, an image, or the build context (no `from`).
enum SourceName: Hashable, Sendable {
    case context
    case scratch
    case stage(Int)
    case image(String)

    static func resolve(
        _ name: String, in dockerfile: Dockerfile, allowsIndex: Bool, at instruction: Instruction, flag: String
    ) throws(BerthError) -> SourceName {
        if allowsIndex, let index = Int(name) {
            guard dockerfile.stages.indices.contains(index) else {
                throw .dockerfile(
                    instruction.location, instruction.keyword,
                    "\(flag)=\(name): there is no stage \(name) (the stages are numbered from 0 to \(dockerfile.stages.count - 1))"
                )
            }
            return .stage(index)
        }
        if let stage = dockerfile.stages.first(where: { $0.name == name.lowercased() }) { return .stage(stage.index) }
        if name == "scratch" { return .scratch }
        if let problem = ImageName.problem(name) {
            var message = "\(flag)=\(name) is neither a stage of this Dockerfile nor an image reference (\(problem))"
            if let close = Suggest.closest(to: name, in: dockerfile.stages.compactMap(\.name)) {
                message += "; did you mean stage \(close)?"
            }
            throw .dockerfile(instruction.location, instruction.keyword, message)
        }
        return .image(name)
    }
}
