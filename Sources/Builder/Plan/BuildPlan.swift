/// A build, decided: the stages the target needs, each as its steps and
/// its final image config, and the levels in which they can run.
public struct BuildPlan: Hashable, Sendable {
    /// The index of the stage the build produces.
    public var target: Int
    /// The needed stages, in Dockerfile order (a stage's dependencies come first).
    public var stages: [PlannedStage]
    /// Stage indices by level: every dependency of a stage is in an earlier
    /// level, so the stages of one level can be built in parallel.
    public var levels: [[Int]]
    /// What the Dockerfile's parse and the planning noticed (directives
    /// ignored, build args no ARG uses, …).
    public var notes: [DockerfileNote]

    /// The planned stage of that index, if the target needs it.
    public func stage(_ index: Int) -> PlannedStage? { stages.first { $0.index == index } }

    /// The target stage.
    public var result: PlannedStage {
        // The target is always planned; the fallback only satisfies the type.
        stage(target) ?? stages[stages.count - 1]
    }
}

/// One stage, planned.
public struct PlannedStage: Hashable, Sendable {
    public var index: Int
    public var name: String?
    public var base: StageBase
    /// The stages it reads: its base, and those it copies or mounts from
    /// (through its base's `ONBUILD` triggers too).
    public var dependencies: [Int]
    public var steps: [BuildStep]
    /// The image config the stage ends with, history complete (base image's
    /// entries first). `rootfs` lists the base image's layers only (for a
    /// stage built on another stage: that stage's base image's); the caller
    /// appends the layers it commits, and sets `created` and the new history
    /// entries' `created`.
    public var config: DockerImageConfig
    /// Where a later stage `FROM` this one starts.
    let final: StageState

    /// `name`, or `stage-N`.
    public var displayName: String { name ?? "stage-\(index)" }
}

/// Where a stage is while its instructions are planned: the image config so
/// far, and what the next `RUN` would see.
struct StageState: Hashable, Sendable {
    var config: DockerImageConfig
    /// The variables in scope: the image's environment, `ENV`s, and the values
    /// of the `ARG`s declared so far (what expansions and `RUN` read).
    var variables: Variables
    /// The working directory steps run in (`/` until a `WORKDIR` or the image sets one).
    var workdir = "/"
    var user: String?
    /// The `ARG`s declared in this stage and the stages it is based on, with
    /// their values: what prefixes a `RUN`'s history (`RUN |2 A=1 B=2 …`).
    var declaredArgs = Variables()
    /// Whether this stage set `CMD` (a later `ENTRYPOINT` then keeps it).
    var cmdSet = false
}
