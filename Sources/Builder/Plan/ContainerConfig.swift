/// The `config` object of an image: how a container of it runs. Field names
/// on disk are docker's (`Env`, `Cmd`, `WorkingDir`, …), each left out when
/// unset, as Go's `omitempty` does; `ExposedPorts` and `Volumes` are maps
/// to `{}` on disk and sorted sets here.
public struct ContainerConfig: Hashable, Sendable, Codable {
    /// The `PATH` BuildKit sets when an image has none.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public var user: String?
    /// `port/proto`, sorted.
    public var exposedPorts: [String] = []
    /// `KEY=value`, in order.
    public var env: [String] = []
    public var entrypoint: [String]?
    public var cmd: [String]?
    /// Mount points, sorted.
    public var volumes: [String] = []
    public var workingDir: String?
    public var labels: [String: String] = [:]
    public var stopSignal: String?
    /// Set by BuildKit whenever `CMD` is; kept for docker's readers.
    public var argsEscaped: Bool?
    public var healthcheck: HealthcheckConfig?
    public var onBuild: [String]?
    public var shell: [String]?

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case user = "User"
        case exposedPorts = "ExposedPorts"
        case env = "Env"
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case volumes = "Volumes"
        case workingDir = "WorkingDir"
        case labels = "Labels"
        case stopSignal = "StopSignal"
        case argsEscaped = "ArgsEscaped"
        case healthcheck = "Healthcheck"
        case onBuild = "OnBuild"
        case shell = "Shell"
    }

    /// The `{}` docker writes as each port's and volume's value; any value reads.
    private struct Empty: Codable {
        init() {}
        init(from decoder: any Decoder) throws {}
        func encode(to encoder: any Encoder) throws { _ = encoder.container(keyedBy: CodingKeys.self) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        user = try c.decodeIfPresent(String.self, forKey: .user).flatMap { $0.isEmpty ? nil : $0 }
        exposedPorts = (try c.decodeIfPresent([String: Empty].self, forKey: .exposedPorts) ?? [:]).keys.sorted()
        env = try c.decodeIfPresent([String].self, forKey: .env) ?? []
        entrypoint = try c.decodeIfPresent([String].self, forKey: .entrypoint)
        cmd = try c.decodeIfPresent([String].self, forKey: .cmd)
        volumes = (try c.decodeIfPresent([String: Empty].self, forKey: .volumes) ?? [:]).keys.sorted()
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir).flatMap { $0.isEmpty ? nil : $0 }
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        stopSignal = try c.decodeIfPresent(String.self, forKey: .stopSignal).flatMap { $0.isEmpty ? nil : $0 }
        argsEscaped = try c.decodeIfPresent(Bool.self, forKey: .argsEscaped)
        healthcheck = try c.decodeIfPresent(HealthcheckConfig.self, forKey: .healthcheck)
        onBuild = try c.decodeIfPresent([String].self, forKey: .onBuild)
        shell = try c.decodeIfPresent([String].self, forKey: .shell)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(user, forKey: .user)
        if !exposedPorts.isEmpty {
            try c.encode(Dictionary(uniqueKeysWithValues: exposedPorts.map { ($0, Empty()) }), forKey: .exposedPorts)
        }
        if !env.isEmpty { try c.encode(env, forKey: .env) }
        if let entrypoint, !entrypoint.isEmpty { try c.encode(entrypoint, forKey: .entrypoint) }
        if let cmd, !cmd.isEmpty { try c.encode(cmd, forKey: .cmd) }
        if !volumes.isEmpty {
            try c.encode(Dictionary(uniqueKeysWithValues: volumes.map { ($0, Empty()) }), forKey: .volumes)
        }
        try c.encodeIfPresent(workingDir, forKey: .workingDir)
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
        try c.encodeIfPresent(stopSignal, forKey: .stopSignal)
        if argsEscaped == true { try c.encode(true, forKey: .argsEscaped) }
        try c.encodeIfPresent(healthcheck, forKey: .healthcheck)
        if let onBuild, !onBuild.isEmpty { try c.encode(onBuild, forKey: .onBuild) }
        if let shell, !shell.isEmpty { try c.encode(shell, forKey: .shell) }
    }

    /// Sets `KEY` in `env`, in place when it is there (docker's rule for `ENV`).
    mutating func setEnv(_ key: String, _ value: String) {
        if let at = env.firstIndex(where: { Variables.split($0).0 == key }) {
            env[at] = key + "=" + value
        } else {
            env.append(key + "=" + value)
        }
    }
}

/// `Healthcheck`: durations in nanoseconds on disk, 0 meaning "docker's default".
public struct HealthcheckConfig: Hashable, Sendable, Codable {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`.
    public var test: [String]
    public var interval: Int64 = 0
    public var timeout: Int64 = 0
    public var startPeriod: Int64 = 0
    public var startInterval: Int64 = 0
    public var retries: Int = 0

    public init(test: [String]) { self.test = test }

    private enum CodingKeys: String, CodingKey {
        case test = "Test"
        case interval = "Interval"
        case timeout = "Timeout"
        case startPeriod = "StartPeriod"
        case startInterval = "StartInterval"
        case retries = "Retries"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        test = try c.decodeIfPresent([String].self, forKey: .test) ?? []
        interval = try c.decodeIfPresent(Int64.self, forKey: .interval) ?? 0
        timeout = try c.decodeIfPresent(Int64.self, forKey: .timeout) ?? 0
        startPeriod = try c.decodeIfPresent(Int64.self, forKey: .startPeriod) ?? 0
        startInterval = try c.decodeIfPresent(Int64.self, forKey: .startInterval) ?? 0
        retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !test.isEmpty { try c.encode(test, forKey: .test) }
        if interval != 0 { try c.encode(interval, forKey: .interval) }
        if timeout != 0 { try c.encode(timeout, forKey: .timeout) }
        if startPeriod != 0 { try c.encode(startPeriod, forKey: .startPeriod) }
        if startInterval != 0 { try c.encode(startInterval, forKey: .startInterval) }
        if retries != 0 { try c.encode(retries, forKey: .retries) }
    }

    /// How BuildKit prints it in the history: Go's `%+v` of the struct,
    /// `{Test:[CMD-SHELL curl -f http://localhost/] Interval:30s Timeout:0s StartPeriod:0s StartInterval:0s Retries:3}`.
    var goDescription: String {
        "{Test:[\(test.joined(separator: " "))] Interval:\(GoDuration.format(interval))"
            + " Timeout:\(GoDuration.format(timeout)) StartPeriod:\(GoDuration.format(startPeriod))"
            + " StartInterval:\(GoDuration.format(startInterval)) Retries:\(retries)}"
    }
}
