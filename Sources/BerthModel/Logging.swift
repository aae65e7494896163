/// A service's `logging:` (or daemon.json's `log-driver`/`log-opts`): the
/// driver by name and its options as written. `LogPolicy` is what it means.
public struct Logging: Sendable, Hashable, Codable {
    /// `json-file`, `local`, `none`, `syslog`, `journald`; nil: the daemon's default.
    public var driver: String?
    /// `max-size`, `max-file`, `compress`, … as written.
    public var options: [String: String]

    /// A setting from its parts.
    public init(driver: String? = nil, options: [String: String] = [:]) {
        self.driver = driver
        self.options = options
    }
}

/// What the shim does with a container's output, decided from `Logging`.
public struct LogPolicy: Sendable, Hashable, Codable {
    /// Where output goes.
    public enum Driver: String, Sendable, Hashable, Codable, CaseIterable {
        /// docker's json-file: `json.log`, rotated.
        case jsonFile = "json-file"
        /// docker's local driver; Berth writes it as json-file (not docker's
        /// protobuf format) with local's defaults: 20 MiB × 5, compressed.
        case local
        /// Nothing is kept; `logs` has nothing to read.
        case none
        /// Each line to the host's syslog (`/dev/log`), none kept.
        case syslog
        /// Each line to the host's journal through `/dev/log`, none kept.
        case journald
    }

    /// Where output goes.
    public var driver: Driver
    /// Bytes per file before it rotates; 0: never (json-file's default).
    public var maxSize: Int64
    /// Files kept, the live one included; at least 1.
    public var maxFiles: Int
    /// Rotated files gzipped (`json.log.1.gz`).
    public var compress: Bool

    /// A policy from its parts.
    public init(driver: Driver = .jsonFile, maxSize: Int64 = 0, maxFiles: Int = 1, compress: Bool = false) {
        self.driver = driver
        self.maxSize = maxSize
        self.maxFiles = max(1, maxFiles)
        self.compress = compress
    }

    /// Whether the container's output can be read back by `logs`.
    public var keepsFile: Bool { driver == .jsonFile || driver == .local }

    /// The drivers Berth knows, as a sentence's list.
    public static let knownDrivers = Driver.allCases.map(\.rawValue).joined(separator: ", ")

    /// `logging` read over `fallback` (the daemon's default) as dockerd
    /// merges them: no driver takes the default's; when the driver is the
    /// default's, the default's options fill in those the service leaves
    /// out. Errors name the option and the value; the caller adds where
    /// they came from.
    public static func resolve(_ logging: Logging?, default fallback: Logging? = nil) throws(BerthError) -> LogPolicy {
        let defaultName = fallback?.driver ?? Driver.jsonFile.rawValue
        let name = logging?.driver ?? defaultName
        guard let driver = Driver(rawValue: name) else {
            throw BerthError(.unsupported, "logging driver \"\(name)\" is not supported (one of \(knownDrivers))")
        }
        var options = logging?.options ?? [:]
        if name == defaultName { options.merge(fallback?.options ?? [:]) { own, _ in own } }
        var policy =
            driver == .local
            ? LogPolicy(driver: .local, maxSize: 20 << 20, maxFiles: 5, compress: true) : LogPolicy(driver: driver)
        if let text = options["max-size"] {
            guard let bytes = binaryBytes(text), bytes >= 0 else {
                throw BerthError(.invalidArgument, "logging option max-size: \"\(text)\" is not a size (10m, 1g, 500k)")
            }
            policy.maxSize = bytes
        }
        if let text = options["max-file"] {
            guard let files = Int(text), files >= 1 else {
                throw BerthError(
                    .invalidArgument, "logging option max-file: \"\(text)\" is not a number of files (1 or more)")
            }
            policy.maxFiles = files
        }
        if let text = options["compress"] {
            guard let flag = Bool(text) ?? (text == "1" ? true : text == "0" ? false : nil) else {
                throw BerthError(.invalidArgument, "logging option compress: \"\(text)\" is not true or false")
            }
            policy.compress = flag
        }
        return policy
    }

    /// docker's `units.RAMInBytes`: binary units (k = 1024), case-insensitive,
    /// with an optional `b` or `ib` after the letter.
    static func binaryBytes(_ text: String) -> Int64? {
        let lowered = text.lowercased()
        let digits = lowered.prefix { ($0 >= "0" && $0 <= "9") || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits) else { return nil }
        var unit = lowered.dropFirst(digits.count)
        if unit.hasSuffix("ib") { unit = unit.dropLast(2) } else if unit.hasSuffix("b") { unit = unit.dropLast() }
        let powers: [Substring: Double] = ["": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5]
        guard let power = powers[unit] else { return nil }
        var bytes = value
        for _ in 0..<Int(power) { bytes *= 1024 }
        return bytes < 9.2e18 ? Int64(bytes) : nil
    }
}
