import BerthModel

/// `berth pull`, `berth image pull`: images to pull, all at once.
public struct ImagePullRequest: Codable, Sendable, Hashable {
    /// Image references as written (`postgres:16`, `localhost:5000/app@sha256:…`).
    public var references: [String]
    /// `os/arch[/variant]`; nil: the host's.
    public var platform: String?
    /// A platform per reference (services' `platform:`), before `platform`.
    public var platforms: [String: String]?
    /// The caller's docker config directory, for credentials; nil: berthd's.
    public var configDirectory: String?
    /// `--ignore-pull-failures`: pull what can be pulled, report the rest as warnings.
    public var ignoreFailures: Bool

    public init(
        references: [String], platform: String? = nil, configDirectory: String? = nil, ignoreFailures: Bool = false
    ) {
        self.references = references
        self.platform = platform
        self.configDirectory = configDirectory
        self.ignoreFailures = ignoreFailures
    }
}

/// What a pull or push did: each image now, and what failed (with `--ignore-pull-failures`).
public struct ImageTransferResult: Codable, Sendable, Hashable {
    public var images: [ImageSummary]
    public var failures: [String]

    public init(images: [ImageSummary], failures: [String] = []) {
        self.images = images
        self.failures = failures
    }
}

/// `berth push`, `berth image push`.
public struct ImagePushRequest: Codable, Sendable, Hashable {
    public var references: [String]
    public var configDirectory: String?
    public var ignoreFailures: Bool

    public init(references: [String], configDirectory: String? = nil, ignoreFailures: Bool = false) {
        self.references = references
        self.configDirectory = configDirectory
        self.ignoreFailures = ignoreFailures
    }
}

/// `berth image tag SOURCE TARGET`.
public struct ImageTagRequest: Codable, Sendable, Hashable {
    public var source: String
    public var target: String

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}

/// `berth login` / `berth logout`: the registry, and whose docker config
/// records it (berthd writes it for the caller, owned by `uid`:`gid`).
public struct LoginRequest: Codable, Sendable, Hashable {
    /// `docker.io`, `localhost:5000`, `https://index.docker.io/v1/`.
    public var server: String
    /// Empty for `logout`.
    public var username: String
    public var password: String
    public var configDirectory: String
    public var uid: UInt32
    public var gid: UInt32

    public init(server: String, username: String, password: String, configDirectory: String, uid: UInt32, gid: UInt32) {
        self.server = server
        self.username = username
        self.password = password
        self.configDirectory = configDirectory
        self.uid = uid
        self.gid = gid
    }
}
