import BerthModel

/// The cache keys of a plan's layer steps.
///
/// A key is the SHA-256 of the step's parent (the previous layer step of
/// the stage, or the stage's base: an image's config digest, `scratch`, or
/// an earlier stage's result) and of everything that decides what the step
/// makes, as BuildKit keys its operations:
///
/// - `RUN`: the arguments, the whole environment (so every `ARG` in scope
///   and every `ENV` counts, used or not; the undeclared proxy args do
///   not), the working directory, the user, the network, the build's `RUN`
///   settings, heredoc scripts, and each mount's options and source (a
///   bind of the context: the content of what it binds). Cache mount
///   contents and secret values are not in it.
/// - `COPY`/`ADD`: the destination and flags, and for each source: from the
///   context, the content, mode, owner and link targets of exactly the files
///   it copies (`BuildContext.digest`), never their times; from a stage, that
///   stage's result key (or the digest the caller gives for its files); from
///   an image, its id; a URL and its checksum; a heredoc's content.
/// - `WORKDIR`: the path and the user.
///
/// Steps that change only the config (`ENV`, `LABEL`, `CMD`, …) have no key
/// and no effect on the next key by themselves: an `ENV` reaches the next
/// `RUN` through its environment, a `LABEL` reaches nothing.
public struct CacheKeys: Hashable, Sendable {
    /// Per planned stage: its keys.
    public var stages: [Int: StageKeys]

    /// The key of step `step` of stage `stage`, nil for a step without a layer.
    public func key(stage: Int, step: Int) -> String? { stages[stage]?.steps[step] }

    /// Keys every layer step of `plan`, reading from `context` exactly the
    /// files its `COPY`, `ADD` and bind mounts name. `stageContent`, when
    /// given, is asked for the digest of a path of a built stage (a
    /// `COPY --from` source), so that an unchanged artifact of a rebuilt
    /// stage keeps the copies of it cached; nil uses the stage's result key.
    public static func compute(
        _ plan: BuildPlan, images: [String: BaseImage], context: BuildContext,
        stageContent: (@Sendable (_ stage: Int, _ path: String) throws(BerthError) -> String)? = nil
    ) throws(BerthError) -> CacheKeys {
        var keys = CacheKeys(stages: [:])
        for stage in plan.stages {
            var keyer = StageKeyer(
                images: images, context: context, results: keys.stages.mapValues(\.result), stageContent: stageContent)
            keys.stages[stage.index] = try keyer.keys(stage)
        }
        return keys
    }
}

/// The keys of one stage.
public struct StageKeys: Hashable, Sendable {
    /// What the stage starts from: `scratch`, `image sha256:…`, or a stage's result key.
    public var base: String
    /// Step index → key, for the steps that make a layer.
    public var steps: [Int: String]
    /// The key of the stage's result: its last layer step's, or its base's.
    public var result: String
}

/// Keys one stage's steps in order.
struct StageKeyer {
    let images: [String: BaseImage]
    let context: BuildContext
    /// The result keys of the stages keyed so far.
    let results: [Int: String]
    let stageContent: (@Sendable (Int, String) throws(BerthError) -> String)?

    mutating func keys(_ stage: PlannedStage) throws(BerthError) -> StageKeys {
        let base = try origin(of: stage.base, stage)
        var parent = base
        var steps: [Int: String] = [:]
        for (index, step) in stage.steps.enumerated() where step.makesLayer {
            var writer = DigestWriter()
            writer.field("berth-build-cache", "1")
            writer.field("parent", parent)
            do {
                try describe(step.operation, into: &writer)
            } catch {
                throw .dockerfile(step.instruction.location, step.instruction.keyword, error.message, code: error.code)
            }
            parent = writer.finish()
            steps[index] = parent
        }
        return StageKeys(base: base, steps: steps, result: parent)
    }

    private func origin(of base: StageBase, _ stage: PlannedStage) throws(BerthError) -> String {
        switch base {
        case .scratch: return "scratch"
        case .image(let reference): return "image " + (try imageID(reference))
        case .stage(let index):
            guard let result = results[index] else {
                throw BerthError(.notFound, "stage \(index) is keyed after stage \(stage.index), which is built on it")
            }
            return result
        }
    }

    private func imageID(_ reference: String) throws(BerthError) -> String {
        guard let image = images[reference] else { throw BerthError(.notFound, "image \(reference) was not resolved") }
        return image.id
    }

    private func describe(_ operation: StepOperation, into writer: inout DigestWriter) throws(BerthError) {
        switch operation {
        case .run(let run):
            try describe(run, into: &writer)
        case .copy(let copy):
            try describe(copy, into: &writer)
        case .makeDirectory(let path, let user):
            writer.field("mkdir", path)
            writer.field("user", user ?? "")
        case .config:
            break
        }
    }

    private func describe(_ run: RunStep, into writer: inout DigestWriter) throws(BerthError) {
        writer.field("run", run.arguments)
        writer.field("env", run.environment.environment)
        writer.field("cwd", run.workingDirectory)
        writer.field("user", run.user ?? "")
        writer.field("network", run.network.rawValue + " " + (run.settings.network ?? ""))
        writer.field("hosts", run.settings.extraHosts)
        writer.field("shm", run.settings.shmSize.map(String.init) ?? "")
        writer.field("ulimits", run.settings.ulimits)
        for file in run.inlineFiles {
            writer.field("inline", [file.path, String(file.mode, radix: 8), file.content])
        }
        for planned in run.mounts {
            let mount = planned.mount
            writer.field(
                "mount",
                [
                    mount.kind.rawValue, planned.target, planned.id ?? "", planned.sourcePath, String(mount.readOnly),
                    mount.sharing.rawValue, mount.mode.map { String($0, radix: 8) } ?? "",
                    mount.uid.map(String.init) ?? "",
                    mount.gid.map(String.init) ?? "", mount.sizeLimit.map(String.init) ?? "", String(mount.required),
                    mount.env ?? "",
                ])
            writer.field(
                "from", try identity(of: planned.origin, path: planned.sourcePath, excludes: [], parents: false))
        }
    }

    private func describe(_ copy: CopyStep, into writer: inout DigestWriter) throws(BerthError) {
        writer.field(copy.isAdd ? "add" : "copy", copy.destination)
        writer.field("chown", copy.chown ?? "")
        writer.field("chmod", copy.chmod ?? "")
        writer.field("flags", [String(copy.link), String(copy.parents), copy.unpack.map(String.init) ?? ""])
        writer.field("excludes", copy.excludes)
        for source in copy.sources {
            switch source {
            case .path(let path):
                writer.field("path", path)
                writer.field(
                    "content", try identity(of: copy.origin, path: path, excludes: copy.excludes, parents: copy.parents)
                )
            case .url(let url, let checksum):
                writer.field("url", [url, checksum ?? ""])
            case .inline(let name, let content):
                writer.field("inline", [name, content])
            }
        }
    }

    /// What stands for the content at `path` of an origin.
    private func identity(of origin: MountOrigin, path: String, excludes: [String], parents: Bool) throws(BerthError)
        -> String
    {
        switch origin {
        case .empty:
            return "empty"
        case .image(let reference):
            return "image " + (try imageID(reference))
        case .stage(let index):
            if let stageContent { return "stage content " + (try stageContent(index, path)) }
            guard let result = results[index] else { throw BerthError(.notFound, "stage \(index) has no key yet") }
            return "stage " + result
        case .context:
            return try context.digest(of: [context.select(path, excludes: excludes, parents: parents)])
        }
    }
}
