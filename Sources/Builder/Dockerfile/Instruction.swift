/// One instruction after a `FROM` (or an `ARG` before the first), checked
/// but not expanded: words keep their quotes, escapes and `$VAR`s.
public struct Instruction: Hashable, Sendable {
    /// Where it is in the Dockerfile.
    public var location: DockerfileLocation
    /// The instruction's keyword, uppercased (`RUN`, `COPY`, …).
    public var keyword: String
    /// The instruction as written, continuations joined and heredoc bodies
    /// left out: what progress output and error messages show.
    public var text: String
    /// What it says.
    public var command: Command

    public init(location: DockerfileLocation, keyword: String, text: String, command: Command) {
        self.location = location
        self.keyword = keyword
        self.text = text
        self.command = command
    }
}

/// What an instruction says, per instruction.
public enum Command: Hashable, Sendable {
    case arg([ArgDeclaration])
    case env([KeyValue])
    case label([KeyValue])
    /// `MAINTAINER`: deprecated; sets the image's `author`, as docker does.
    case maintainer(String)
    case run(RunInstruction)
    case cmd(CommandForm)
    case entrypoint(CommandForm)
    /// `SHELL`: always the JSON form.
    case shell([String])
    case copy(FileCopy)
    case add(FileCopy)
    case workdir(String)
    case user(String)
    case volume([String])
    case stopSignal(String)
    /// `EXPOSE`: the words, sorted as BuildKit sorts them before expanding.
    case expose([String])
    case healthcheck(HealthcheckInstruction)
    /// `ONBUILD`: the trigger's text (stored in the image's `OnBuild`) and
    /// the trigger parsed, to check it now.
    indirect case onbuild(trigger: String, instruction: Instruction)
}

/// One name of an `ARG`, with its default when it has one (`ARG A=1 B`).
public struct ArgDeclaration: Hashable, Sendable {
    public var name: String
    /// The default as written, nil when there is none (`ARG B`); `ARG B=` is "".
    public var defaultValue: String?

    public init(name: String, defaultValue: String?) {
        self.name = name
        self.defaultValue = defaultValue
    }
}

/// One pair of `ENV` or `LABEL`, both sides as written.
public struct KeyValue: Hashable, Sendable {
    public var key: String
    public var value: String
    /// The legacy form without `=` (`ENV NAME value with spaces`).
    public var isLegacy: Bool

    public init(key: String, value: String, isLegacy: Bool = false) {
        self.key = key
        self.value = value
        self.isLegacy = isLegacy
    }
}

/// A command of `RUN`, `CMD`, `ENTRYPOINT` or `HEALTHCHECK CMD`: the exec
/// form (a JSON array, run as is) or the shell form (a string the image's
/// `SHELL` runs), possibly with heredocs.
public enum CommandForm: Hashable, Sendable {
    case exec([String])
    case shell(String, heredocs: [Heredoc])

    /// A shell form without heredocs.
    public static func shell(_ command: String) -> CommandForm { .shell(command, heredocs: []) }
}

/// A here-document: the lines after an instruction up to the delimiter.
public struct Heredoc: Hashable, Sendable {
    /// The delimiter, quotes removed (`<<"EOF"` is `EOF`).
    public var name: String
    /// The lines, each with its line break; leading tabs are still there for `<<-`.
    public var content: String
    /// Whether `$VAR`s in the content are expanded (`COPY` only): false when
    /// any part of the delimiter was quoted.
    public var expands: Bool
    /// `<<-`: leading tabs are stripped from each line.
    public var stripsTabs: Bool
    /// The file descriptor before `<<` (`3<<EOF`), when there is one.
    public var descriptor: Int?

    public init(name: String, content: String, expands: Bool, stripsTabs: Bool, descriptor: Int? = nil) {
        self.name = name
        self.content = content
        self.expands = expands
        self.stripsTabs = stripsTabs
        self.descriptor = descriptor
    }

    /// The content as the command or file receives it: with `<<-`, every
    /// line's leading tabs removed.
    public var body: String {
        guard stripsTabs else { return content }
        var out = ""
        var atLineStart = true
        for character in content {
            if atLineStart && character == "\t" { continue }
            atLineStart = character == "\n" || character == "\r\n"
            out.append(character)
        }
        return out
    }
}

/// `RUN` with its flags.
public struct RunInstruction: Hashable, Sendable {
    public var command: CommandForm
    /// Each `--mount=` value as written; parsed once expanded (`RunMount`).
    public var mounts: [String]
    /// `--network`.
    public var network: RunNetwork
    /// `--security`: only `sandbox` is accepted; `insecure` is refused when parsed.
    public var security: String

    public init(
        command: CommandForm, mounts: [String] = [], network: RunNetwork = .default, security: String = "sandbox"
    ) {
        self.command = command
        self.mounts = mounts
        self.network = network
        self.security = security
    }
}

/// `RUN --network=`.
public enum RunNetwork: String, Hashable, Sendable, CaseIterable {
    /// The build's network: the default bridge with masquerade, or compose's `build.network`.
    case `default`
    /// Only a loopback interface.
    case none
    /// The host's network namespace.
    case host
}

/// `COPY` or `ADD` with its flags, words as written.
public struct FileCopy: Hashable, Sendable {
    /// The source paths (context paths, globs, URLs); heredoc sources are in `inlineFiles`.
    public var sources: [String]
    /// Sources given as heredocs (`COPY <<EOF /file`): the file takes the heredoc's name.
    public var inlineFiles: [Heredoc]
    /// The destination as written; a trailing `/` means "into this directory".
    public var destination: String
    /// `--from=`: a stage name, a stage index or an image reference (`COPY` only).
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    /// `--exclude=`, each as written (never expanded, as in BuildKit).
    public var excludes: [String]
    /// `ADD --checksum=` (`sha256:…`).
    public var checksum: String?
    /// `ADD --unpack=`: nil when not given (local archives unpack, URLs do not).
    public var unpack: Bool?
    /// `ADD --keep-git-dir=`.
    public var keepGitDir: Bool?

    public init(
        sources: [String], inlineFiles: [Heredoc] = [], destination: String, from: String? = nil,
        chown: String? = nil, chmod: String? = nil, link: Bool = false, parents: Bool = false,
        excludes: [String] = [], checksum: String? = nil, unpack: Bool? = nil, keepGitDir: Bool? = nil
    ) {
        self.sources = sources
        self.inlineFiles = inlineFiles
        self.destination = destination
        self.from = from
        self.chown = chown
        self.chmod = chmod
        self.link = link
        self.parents = parents
        self.excludes = excludes
        self.checksum = checksum
        self.unpack = unpack
        self.keepGitDir = keepGitDir
    }
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [options] CMD …`.
public enum HealthcheckInstruction: Hashable, Sendable {
    case none
    case check(CommandForm, HealthcheckOptions)
}

/// The options of `HEALTHCHECK CMD`; nil (or zero) inherits docker's default.
public struct HealthcheckOptions: Hashable, Sendable {
    public var interval: Duration?
    public var timeout: Duration?
    public var startPeriod: Duration?
    public var startInterval: Duration?
    public var retries: Int?

    public init(
        interval: Duration? = nil, timeout: Duration? = nil, startPeriod: Duration? = nil,
        startInterval: Duration? = nil, retries: Int? = nil
    ) {
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.startInterval = startInterval
        self.retries = retries
    }
}
