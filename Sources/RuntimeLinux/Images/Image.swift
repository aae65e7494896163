import BerthModel
import Registry

/// An image in the store: its manifest, its decoded configuration, its
/// layers (lowest first) and the names that point at it.
public struct Image: Hashable, Sendable {
    /// The manifest's digest: the image's identity in this store, what
    /// containers record, and what `remove`'s `inUse` is asked about.
    public var digest: Digest
    /// The names (tags) that point at this image, sorted; empty for an image
    /// whose last name moved to another (docker's `<none>:<none>`).
    public var references: [ImageReference]
    /// `repository@digest` for each registry it was pulled from or pushed
    /// to, as docker's `RepoDigests` (the digest the registry knows it by).
    public var repoDigests: [ImageReference] = []
    /// The configuration blob's digest: what `docker images` calls the image ID.
    public var configDigest: Digest
    /// How to run it.
    public var config: ImageConfig
    /// The CPU architecture in OCI terms (`amd64`, `arm64`).
    public var architecture: String
    /// The operating system, `linux`.
    public var os: String
    /// When it was made (RFC 3339), if the image says.
    public var created: String?
    /// The layers, lowest first.
    public var layers: [ImageLayer]

    /// The sum of the layers' blob sizes (compressed, as stored).
    public var size: Int64 { layers.reduce(0) { $0 + $1.size } }

    /// The first name, in the short form `docker` prints; `<none>@<digest>` when it has none.
    public var displayName: String { references.first?.familiar ?? "<none>@\(digest)" }
}

/// One layer of an image.
public struct ImageLayer: Hashable, Sendable {
    /// The blob's digest, compressed as stored.
    public var digest: Digest
    /// The digest of the uncompressed tar: the key of its unpacked directory.
    public var diffID: Digest
    /// The blob's size in bytes.
    public var size: Int64
    /// The blob's media type, e.g. `application/vnd.oci.image.layer.v1.tar+gzip`.
    public var mediaType: String
}

/// What an image says about how to run it: the `config` object of an OCI
/// image configuration, with docker's field names on disk (`Entrypoint`,
/// `Cmd`, `Env`, …) and Swift names here.
///
/// Empty strings and JSON `null`s, which `docker save` writes freely, read
/// as absent. `exposedPorts` and `volumes` are the keys of docker's
/// `{"80/tcp": {}}` maps, sorted; a port without a protocol reads as tcp.
public struct ImageConfig: Hashable, Sendable, Codable {
    /// The command's fixed prefix (`ENTRYPOINT`); nil when the image sets none.
    public var entrypoint: [String]?
    /// The default arguments (`CMD`); nil when the image sets none.
    public var cmd: [String]?
    /// `KEY=value` strings, in the image's order.
    public var env: [String]
    /// The working directory; nil means `/`.
    public var workingDir: String?
    /// `user[:group]`, names or numbers; nil means root.
    public var user: String?
    /// `port/protocol`, e.g. `80/tcp`, sorted.
    public var exposedPorts: [String]
    /// Paths the image declares as volumes, sorted.
    public var volumes: [String]
    /// The image's `HEALTHCHECK`, if any.
    public var healthcheck: ImageHealthcheck?
    /// The signal that stops the container, e.g. `SIGQUIT`; nil means SIGTERM.
    public var stopSignal: String?
    /// The image's labels.
    public var labels: [String: String]

    /// A configuration; every field defaults to "not set".
    public init(
        entrypoint: [String]? = nil, cmd: [String]? = nil, env: [String] = [], workingDir: String? = nil,
        user: String? = nil, exposedPorts: [String] = [], volumes: [String] = [],
        healthcheck: ImageHealthcheck? = nil, stopSignal: String? = nil, labels: [String: String] = [:]
    ) {
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir.flatMap { $0.isEmpty ? nil : $0 }
        self.user = user.flatMap { $0.isEmpty ? nil : $0 }
        self.exposedPorts = Self.normalizedPorts(exposedPorts)
        self.volumes = Array(Set(volumes)).sorted()
        self.healthcheck = healthcheck
        self.stopSignal = stopSignal.flatMap { $0.isEmpty ? nil : $0 }
        self.labels = labels
    }

    private static func normalizedPorts(_ ports: [String]) -> [String] {
        Array(Set(ports.map { $0.contains("/") ? $0 : $0 + "/tcp" })).sorted()
    }

    private enum Keys: String, CodingKey {
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case env = "Env"
        case workingDir = "WorkingDir"
        case user = "User"
        case exposedPorts = "ExposedPorts"
        case volumes = "Volumes"
        case healthcheck = "Healthcheck"
        case stopSignal = "StopSignal"
        case labels = "Labels"
    }

    /// Docker writes `{}` as the value of each port and volume; any value is accepted.
    private struct Anything: Codable {
        init() {}
        init(from decoder: any Decoder) throws {}
        func encode(to encoder: any Encoder) throws {
            _ = encoder.container(keyedBy: Keys.self)
        }
    }

    /// Decodes docker's JSON form (`Cmd`, `Env`, …), nulls and empty strings as absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(
            entrypoint: try c.decodeIfPresent([String].self, forKey: .entrypoint),
            cmd: try c.decodeIfPresent([String].self, forKey: .cmd),
            env: try c.decodeIfPresent([String].self, forKey: .env) ?? [],
            workingDir: try c.decodeIfPresent(String.self, forKey: .workingDir),
            user: try c.decodeIfPresent(String.self, forKey: .user),
            exposedPorts: Array((try c.decodeIfPresent([String: Anything].self, forKey: .exposedPorts) ?? [:]).keys),
            volumes: Array((try c.decodeIfPresent([String: Anything].self, forKey: .volumes) ?? [:]).keys),
            healthcheck: try c.decodeIfPresent(ImageHealthcheck.self, forKey: .healthcheck),
            stopSignal: try c.decodeIfPresent(String.self, forKey: .stopSignal),
            labels: try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:])
    }

    /// Encodes docker's JSON form, leaving out what is not set.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(entrypoint, forKey: .entrypoint)
        try c.encodeIfPresent(cmd, forKey: .cmd)
        if !env.isEmpty { try c.encode(env, forKey: .env) }
        try c.encodeIfPresent(workingDir, forKey: .workingDir)
        try c.encodeIfPresent(user, forKey: .user)
        if !exposedPorts.isEmpty {
            try c.encode(Dictionary(uniqueKeysWithValues: exposedPorts.map { ($0, Anything()) }), forKey: .exposedPorts)
        }
        if !volumes.isEmpty {
            try c.encode(Dictionary(uniqueKeysWithValues: volumes.map { ($0, Anything()) }), forKey: .volumes)
        }
        try c.encodeIfPresent(healthcheck, forKey: .healthcheck)
        try c.encodeIfPresent(stopSignal, forKey: .stopSignal)
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
    }
}

/// An image's `HEALTHCHECK`, as docker stores it: durations in nanoseconds
/// on disk. Docker reads 0 as "inherit the default", so 0 (and any negative
/// value) reads as nil here.
public struct ImageHealthcheck: Hashable, Sendable, Codable {
    /// `["CMD", arg…]`, `["CMD-SHELL", command]`, or `["NONE"]` (checks disabled).
    public var test: [String]
    /// Time between probes.
    public var interval: Duration?
    /// Time a probe may take before it counts as failed.
    public var timeout: Duration?
    /// Grace time after start during which failures do not count.
    public var startPeriod: Duration?
    /// Time between probes during the start period.
    public var startInterval: Duration?
    /// Consecutive failures that make the container unhealthy.
    public var retries: Int?

    /// A healthcheck; unset durations and retries take the runtime's defaults.
    public init(
        test: [String], interval: Duration? = nil, timeout: Duration? = nil, startPeriod: Duration? = nil,
        startInterval: Duration? = nil, retries: Int? = nil
    ) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.startInterval = startInterval
        self.retries = retries
    }

    private enum Keys: String, CodingKey {
        case test = "Test"
        case interval = "Interval"
        case timeout = "Timeout"
        case startPeriod = "StartPeriod"
        case startInterval = "StartInterval"
        case retries = "Retries"
    }

    /// Decodes docker's JSON form, durations in nanoseconds.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        func duration(_ key: Keys) throws -> Duration? {
            guard let ns = try c.decodeIfPresent(Int64.self, forKey: key), ns > 0 else { return nil }
            return .nanoseconds(ns)
        }
        self.init(
            test: try c.decodeIfPresent([String].self, forKey: .test) ?? [],
            interval: try duration(.interval), timeout: try duration(.timeout),
            startPeriod: try duration(.startPeriod), startInterval: try duration(.startInterval),
            retries: try c.decodeIfPresent(Int.self, forKey: .retries).flatMap { $0 > 0 ? $0 : nil })
    }

    /// Encodes docker's JSON form, durations in nanoseconds.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(test, forKey: .test)
        for (key, value) in [
            (Keys.interval, interval), (.timeout, timeout), (.startPeriod, startPeriod),
            (.startInterval, startInterval),
        ] {
            if let value { try c.encode(Self.nanoseconds(value), forKey: key) }
        }
        try c.encodeIfPresent(retries, forKey: .retries)
    }

    /// Whole nanoseconds, saturating rather than trapping on absurd durations.
    static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (whole < 0 ? .min : .max) : sum
    }
}
