/// One step of a planned stage: an instruction with everything expanded
/// and resolved, ready for the caller to execute (or to find in its cache).
public struct BuildStep: Hashable, Sendable {
    /// The instruction (for a base image's `ONBUILD` trigger: the trigger,
    /// located at the stage's `FROM`).
    public var instruction: Instruction
    /// Whether this step is an `ONBUILD` trigger of the base.
    public var isTrigger: Bool
    /// What progress output shows: the instruction with `$VAR`s expanded as
    /// BuildKit shows them, e.g. `RUN apt-get install -y curl`.
    public var name: String
    public var operation: StepOperation
    /// The index of this step's entry in the stage's `config.history`, nil
    /// when it writes none (`ONBUILD`, and `USER`/`WORKDIR` inherited from
    /// the base).
    public var historyIndex: Int?

    public init(
        instruction: Instruction, isTrigger: Bool = false, name: String, operation: StepOperation,
        historyIndex: Int? = nil
    ) {
        self.instruction = instruction
        self.isTrigger = isTrigger
        self.name = name
        self.operation = operation
        self.historyIndex = historyIndex
    }

    /// Whether it makes a layer (and so has a cache key).
    public var makesLayer: Bool {
        if case .config = operation { return false }
        return true
    }

    /// `Dockerfile:7: RUN make`: how a failure of this step begins.
    public var failurePrefix: String { "\(instruction.location): \(name)" }
}

/// What a step does to the filesystem.
public enum StepOperation: Hashable, Sendable {
    /// Run a command in a container over the stage so far; its changes become a layer.
    case run(RunStep)
    /// Copy files into the stage; they become a layer.
    case copy(CopyStep)
    /// `WORKDIR` to a path other than `/`: create it (`mkdir -p`, owned by
    /// `user` when there is one); a layer.
    case makeDirectory(path: String, user: String?)
    /// Only the image config changes (`ENV`, `LABEL`, `CMD`, `ARG`, …): no layer.
    case config
}

/// A `RUN`, resolved.
public struct RunStep: Hashable, Sendable {
    /// The process's arguments; the shell form has the image's `SHELL`
    /// (default `/bin/sh -c`) in front.
    public var arguments: [String]
    /// The environment: the image's, then `ENV`s and the `ARG`s in scope, in order.
    public var environment: Variables
    /// The proxy build args no `ARG` declares: given to the process, but in
    /// neither the cache key nor the history.
    public var proxyEnvironment: Variables
    public var workingDirectory: String
    /// `user[:group]`; nil is root.
    public var user: String?
    public var network: RunNetwork
    public var mounts: [PlannedMount]
    /// Files to mount read-only for the command: the script of a heredoc
    /// that starts with `#!`, at `/dev/pipes/NAME`.
    public var inlineFiles: [InlineFile]
    /// The build's own settings for every `RUN` (compose `build.network`,
    /// `extra_hosts`, `shm_size`, `ulimits`).
    public var settings: RunSettings
}

/// What compose's `build:` sets for every `RUN` of a build.
public struct RunSettings: Hashable, Sendable {
    /// The network of `--network=default`; nil is the default bridge.
    public var network: String?
    public var extraHosts: [String]
    public var shmSize: Int64?
    public var ulimits: [String]
}

/// A file whose content the Dockerfile gives.
public struct InlineFile: Hashable, Sendable {
    public var path: String
    public var content: String
    public var mode: UInt32
}

/// A `RUN --mount` resolved: where it comes from and where it goes.
public struct PlannedMount: Hashable, Sendable {
    /// The mount's options as given (expanded).
    public var mount: RunMount
    /// The absolute path in the container.
    public var target: String
    /// Where `bind` and `cache` mounts read from (`from=`).
    public var origin: MountOrigin
    /// `bind`/`cache`: the path inside the origin (`source=`), absolute.
    public var sourcePath: String
    /// `cache`: the cache's id (`id=`, or the target as written).
    /// `secret`: the secret's id (`id=`, `source=`, or the target's file name).
    public var id: String?
}

/// Where a mount or a copy reads.
public enum MountOrigin: Hashable, Sendable {
    /// The build context (a `bind` without `from`).
    case context
    /// Nothing (`tmpfs`, `secret`, a `cache` without `from`, `from=scratch`).
    case empty
    /// A stage's result.
    case stage(Int)
    /// An image's root filesystem.
    case image(String)
}

/// A `COPY` or `ADD`, resolved.
public struct CopyStep: Hashable, Sendable {
    public var isAdd: Bool
    /// Where the `.path` sources are read: the context, a stage, an image.
    public var origin: MountOrigin
    public var sources: [CopySource]
    /// The destination, absolute (relative ones resolved against `WORKDIR`);
    /// a trailing `/` kept: it means "into this directory".
    public var destination: String
    /// `--chown` as given (names or numbers), resolved against the stage's
    /// `/etc/passwd` and `/etc/group` by the caller.
    public var chown: String?
    /// `--chmod`: octal (`755`) or symbolic (`u=rwX,go=rX`).
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    /// `--exclude` patterns, matched against paths under each source.
    public var excludes: [String]
    /// `ADD`: whether to unpack archives; nil is the default (local archives
    /// unpack when their content is one, URLs do not).
    public var unpack: Bool?

    /// A copy step; the planner makes these, and a backend may make one to
    /// reuse its copy rules (`WORKDIR`'s directory is a copy of nothing).
    public init(
        isAdd: Bool = false, origin: MountOrigin = .empty, sources: [CopySource] = [], destination: String,
        chown: String? = nil, chmod: String? = nil, link: Bool = false, parents: Bool = false, excludes: [String] = [],
        unpack: Bool? = nil
    ) {
        self.isAdd = isAdd
        self.origin = origin
        self.sources = sources
        self.destination = destination
        self.chown = chown
        self.chmod = chmod
        self.link = link
        self.parents = parents
        self.excludes = excludes
        self.unpack = unpack
    }

    /// Whether a local source that is a tar archive (plain, gzip, bzip2 or
    /// xz, told by its content, not its name) is unpacked at the destination
    /// rather than copied: `ADD`'s default.
    public var unpacksLocalArchives: Bool { isAdd && (unpack ?? true) }

    /// Whether a downloaded archive is unpacked: only with `ADD --unpack=true`.
    public var unpacksDownloads: Bool { isAdd && (unpack ?? false) }
}

/// One source of a `COPY` or `ADD`.
public enum CopySource: Hashable, Sendable {
    /// A path in the origin, as written after expansion: may hold wildcards,
    /// and with `--parents` a `/./` pivot.
    case path(String)
    /// `ADD https://…`, with `--checksum` when given.
    case url(String, checksum: String?)
    /// A heredoc: the file's name and its content (expanded when the heredoc allows it).
    case inline(name: String, content: String)
}
