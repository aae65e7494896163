/// What a build is asked for beyond the Dockerfile: `docker build`'s
/// `--target`, `--build-arg`, `--label`, and compose's `build:` settings
/// that change what a `RUN` sees (and so its cache key).
public struct BuildOptions: Hashable, Sendable {
    /// The stage to build; nil builds the last.
    public var target: String?
    /// `--build-arg NAME=value` (compose `build.args`). A name no `ARG`
    /// declares is ignored (and noted), except the proxy variables, which
    /// every `RUN` gets without their reaching the image or the cache key.
    public var buildArgs: [String: String]
    /// Labels set on the built image last (`--label`, compose `build.labels`).
    public var labels: [String: String]
    /// The platform to build for: the machine's own (the only one Berth builds).
    public var platform: Platform
    /// compose `build.network`: the network of `RUN --network=default`; nil is the default bridge.
    public var network: String?
    /// compose `build.extra_hosts`, `host:address` each.
    public var extraHosts: [String]
    /// compose `build.shm_size` in bytes.
    public var shmSize: Int64?
    /// compose `build.ulimits`, `name=soft:hard` each.
    public var ulimits: [String]

    public init(
        target: String? = nil, buildArgs: [String: String] = [:], labels: [String: String] = [:],
        platform: Platform = .host, network: String? = nil, extraHosts: [String] = [], shmSize: Int64? = nil,
        ulimits: [String] = []
    ) {
        self.target = target
        self.buildArgs = buildArgs
        self.labels = labels
        self.platform = platform
        self.network = network
        self.extraHosts = extraHosts
        self.shmSize = shmSize
        self.ulimits = ulimits
    }

    /// The predefined proxy ARGs, given to every `RUN` unless declared.
    static let proxyArgs: Set<String> = [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy",
        "ALL_PROXY", "all_proxy",
    ]

    /// The proxy variables among the build args.
    var proxyEnvironment: Variables {
        var proxies = Variables()
        for name in buildArgs.keys.sorted() where Self.proxyArgs.contains(name) { proxies[name] = buildArgs[name] }
        return proxies
    }
}

/// An image a build reads (a `FROM`, `COPY --from`, or `RUN --mount from=`
/// that is not a stage), as the caller found it.
public struct BaseImage: Hashable, Sendable {
    /// The image's identity for cache keys: its config digest (`sha256:…`).
    public var id: String
    public var config: DockerImageConfig

    public init(id: String, config: DockerImageConfig) {
        self.id = id
        self.config = config
    }
}

/// What a stage starts from.
public enum StageBase: Hashable, Sendable {
    /// `FROM scratch`: nothing.
    case scratch
    /// `FROM image`: the reference as expanded (`debian:12`, `localhost:5000/app@sha256:…`).
    case image(String)
    /// `FROM name` of an earlier stage: its index.
    case stage(Int)
}
