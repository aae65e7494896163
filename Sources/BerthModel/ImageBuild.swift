/// One image build, as `berth image build`, `berth build` and `up` ask
/// berthd for it. berthd runs on the same host as the client, so the
/// context is a path the daemon reads directly (nothing is uploaded).
public struct ImageBuildRequest: Sendable, Hashable, Codable {
    /// The context directory, absolute.
    public var context: String
    /// The Dockerfile: a path (absolute, or relative to the context); nil is `Dockerfile`.
    public var dockerfile: String?
    /// compose's `dockerfile_inline`: the Dockerfile's text itself.
    public var dockerfileInline: String?
    /// The names to give the image once it is built (none on failure).
    public var tags: [String]
    /// `--target`.
    public var target: String?
    /// `--build-arg NAME=value`.
    public var buildArgs: [String: String]
    /// `--label`.
    public var labels: [String: String]
    /// `--no-cache`: run every step.
    public var noCache: Bool
    /// `--pull`: every `FROM` pulled from its registry first (one the store
    /// lacks is pulled in any case).
    public var pull: Bool
    /// `--secret id=ID,src=PATH`: secret id → file on the daemon's host.
    public var secrets: [String: String]
    /// Secrets given by value (compose's from `environment:` or `content:`):
    /// id → the value, which the builder writes to a private file for the build.
    public var secretValues: [String: String]?
    /// compose `build.network`: the network of `RUN --network=default` (`default`, `none`, `host`); nil is the default.
    public var network: String?
    /// compose `build.extra_hosts`, `HOST=IP` (or `HOST:IP`) each.
    public var extraHosts: [String]?
    /// compose `build.shm_size` in bytes.
    public var shmSize: Int64?
    /// compose `build.ulimits`, `name=soft:hard` each.
    public var ulimits: [String]?
    /// compose `build.additional_contexts` of the form `docker-image://REF`:
    /// name → the image `FROM NAME`, `COPY --from=NAME` and `from=NAME` read.
    public var namedImages: [String: String]?

    public init(
        context: String, dockerfile: String? = nil, dockerfileInline: String? = nil, tags: [String] = [],
        target: String? = nil, buildArgs: [String: String] = [:], labels: [String: String] = [:],
        noCache: Bool = false, pull: Bool = false, secrets: [String: String] = [:]
    ) {
        self.context = context
        self.dockerfile = dockerfile
        self.dockerfileInline = dockerfileInline
        self.tags = tags
        self.target = target
        self.buildArgs = buildArgs
        self.labels = labels
        self.noCache = noCache
        self.pull = pull
        self.secrets = secrets
    }
}

extension Build {
    /// The request that builds this `build:` under `tags` (the service's
    /// image name first, then `build.tags`), its secrets read from the
    /// project's top-level `secrets` as docker compose reads them.
    public func request(tags names: [String], secrets objects: [String: FileObject]) throws(BerthError)
        -> ImageBuildRequest
    {
        var args: [String: String] = [:]
        for (key, value) in self.args { if let value { args[key] = value } }
        var allTags = names
        for tag in tags where !allTags.contains(tag) { allTags.append(tag) }
        var request = ImageBuildRequest(
            context: context, dockerfile: dockerfile, dockerfileInline: dockerfileInline, tags: allTags,
            target: target, buildArgs: args, labels: labels, noCache: noCache, pull: pull)
        var values: [String: String] = [:]
        for reference in secrets {
            let id = reference.target ?? reference.source
            guard let object = objects[reference.source] else {
                throw BerthError(.notFound, "build secret \(reference.source) is not defined in secrets")
            }
            switch object.source {
            case .file(let path): request.secrets[id] = path
            case .content(let text): values[id] = text
            case .environment(let variable):
                guard let value = object.environmentValue else {
                    throw BerthError(
                        .invalidSpec, "build secret \(reference.source): the variable \(variable) is not set")
                }
                values[id] = value
            case .external:
                throw BerthError(
                    .unsupported,
                    "build secret \(reference.source) is external (a Swarm secret); a build cannot read it")
            }
        }
        if !values.isEmpty { request.secretValues = values }
        request.network = network
        if !extraHosts.isEmpty { request.extraHosts = extraHosts }
        request.shmSize = shmSize
        let images = additionalContexts.compactMapValues { value -> String? in
            value.hasPrefix("docker-image://") ? String(value.dropFirst("docker-image://".count)) : nil
        }
        if !images.isEmpty { request.namedImages = images }
        if !ulimits.isEmpty {
            request.ulimits = ulimits.keys.sorted().compactMap { name in
                ulimits[name].map { "\(name)=\($0.soft):\($0.hard)" }
            }
        }
        return request
    }
}

/// What a build reports as it goes, one event per step change or output line.
public struct ImageBuildEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The step began.
        case started
        /// The step's layer came from the cache: nothing ran.
        case cached
        /// The step finished; `elapsed` says how long it took.
        case done
        /// The step is still running (sent every second while a `RUN` runs;
        /// a client that has gone away is noticed when it fails to arrive).
        case running
        /// A line the step's command printed.
        case output
        /// The step failed; `text` says how.
        case failed
        /// Something the build noticed (an ignored build arg, …).
        case note
    }

    public var kind: Kind
    /// The step's number in the build (`#3`), 0 for notes.
    public var step: Int
    /// `[build 2/5] RUN make`.
    public var name: String
    public var text: String?
    /// Seconds the step took, for `done`.
    public var elapsed: Double?

    public init(kind: Kind, step: Int, name: String, text: String? = nil, elapsed: Double? = nil) {
        self.kind = kind
        self.step = step
        self.name = name
        self.text = text
        self.elapsed = elapsed
    }
}

/// What a build made.
public struct ImageBuildResult: Sendable, Hashable, Codable {
    /// The image's config digest, `sha256:…` (what docker calls the image ID).
    public var id: String
    /// The names it was given.
    public var tags: [String]
    /// Steps that ran, and steps that came from the cache.
    public var ran: Int
    public var cached: Int

    public init(id: String, tags: [String], ran: Int, cached: Int) {
        self.id = id
        self.tags = tags
        self.ran = ran
        self.cached = cached
    }
}

/// An image as `berth image inspect` shows it, in `docker image inspect`'s
/// terms: the config digest as its ID, its names, its config as stored.
public struct ImageDetails: Sendable, Hashable, Codable {
    /// The config digest, `sha256:…`.
    public var id: String
    /// `name:tag` for each name.
    public var repoTags: [String]
    /// `name@sha256:…` of the manifest, for each name.
    public var repoDigests: [String]
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    /// The layers' sizes, summed.
    public var size: Int64
    /// The layers' diff IDs, lowest first.
    public var layers: [String]
    /// The image config's `config` object as stored (docker's field names), JSON.
    public var config: String

    public init(
        id: String, repoTags: [String], repoDigests: [String], created: String?, author: String?,
        architecture: String, os: String, size: Int64, layers: [String], config: String
    ) {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
        self.created = created
        self.author = author
        self.architecture = architecture
        self.os = os
        self.size = size
        self.layers = layers
        self.config = config
    }
}
