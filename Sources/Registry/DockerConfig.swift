import BerthModel
import Foundation
import HostOS

/// docker's client configuration, `~/.docker/config.json` (or
/// `$DOCKER_CONFIG/config.json`): where `docker login` leaves credentials,
/// so a user who logged in with docker needs nothing more for Berth.
///
/// Read: `auths` (`auth` is base64 of `user:password`; `identitytoken` is an
/// OAuth refresh token), `credsStore` (the helper for every registry) and
/// `credHelpers` (a helper per registry). Written, for `berth login` and
/// `logout`, with every other key kept as it was, mode 0600, atomically.
public struct DockerConfig: Sendable, Hashable {
    /// One entry of `auths`.
    public struct AuthEntry: Sendable, Hashable {
        /// base64 of `user:password`, as docker writes it.
        public var auth: String?
        /// An OAuth refresh token (`docker login` to a registry that gives one).
        public var identityToken: String?
        /// Older configs spell the user and password out.
        public var username: String?
        public var password: String?
    }

    /// The whole document, unknown keys included.
    public private(set) var document: [String: JSONValue]

    mutating func setDocument(_ key: String, _ value: JSONValue?) { document[key] = value }

    /// An empty configuration.
    public init() { document = [:] }

    /// Parses the bytes of a config.json; `path` names it in errors.
    public init(bytes: [UInt8], path: String) throws(BerthError) {
        self.init()
        // docker treats an empty file as an empty configuration.
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) else { return }
        do {
            document = try JSONDecoder().decode([String: JSONValue].self, from: Data(bytes))
        } catch {
            throw BerthError(.invalidArgument, "docker config \(path) is not a JSON object", cause: "\(error)")
        }
    }

    /// The directory: `$DOCKER_CONFIG`, else `$HOME/.docker`.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let configured = environment["DOCKER_CONFIG"], !configured.isEmpty { return configured }
        return (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root") + "/.docker"
    }

    /// Reads `directory/config.json`; a missing file is an empty configuration.
    public static func load(directory: String) throws(BerthError) -> DockerConfig {
        let path = directory + "/config.json"
        let bytes: [UInt8]?
        do {
            bytes = try AtomicFile.read(path)
        } catch {
            throw BerthError(.unreadableFile, "cannot read docker config \(path)", cause: error.description)
        }
        guard let bytes else { return DockerConfig() }
        return try DockerConfig(bytes: bytes, path: path)
    }

    /// Writes `directory/config.json` (mode 0600, the directory made 0700 if new).
    public func save(directory: String) throws(BerthError) {
        let path = directory + "/config.json"
        do {
            try Files.makeDirectories(directory, mode: 0o700)
            try AtomicFile.write(encoded(), to: path, mode: 0o600, durable: true)
        } catch let error as HostOSError {
            throw BerthError(.unwritableFile, "cannot write docker config \(path)", cause: error.description)
        } catch {
            throw BerthError(.unwritableFile, "cannot write docker config \(path)", cause: "\(error)")
        }
    }

    /// The document as docker would indent it (keys sorted).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(document)) + [0x0a]
    }

    /// `credsStore`: the helper for every registry that has none of its own.
    public var credentialsStore: String? { document["credsStore"]?.string.flatMap { $0.isEmpty ? nil : $0 } }

    /// `credHelpers`: a helper per registry key.
    public var credentialHelpers: [String: String] {
        (document["credHelpers"]?.object ?? [:]).compactMapValues(\.string)
    }

    /// The helper for `registryKey`: its own in `credHelpers`, else `credsStore`.
    public func helper(for registryKey: String) -> String? {
        let host = ImageReference.hostOfRegistryKey(registryKey)
        let helpers = credentialHelpers
        if let own = helpers[registryKey] ?? helpers.first(where: { Self.sameRegistry($0.key, host) })?.value {
            return own
        }
        return credentialsStore
    }

    /// The `auths` entry for `registryKey`, matching keys written as URLs or
    /// bare hosts (`https://registry.example:5000/v1/` is `registry.example:5000`).
    public func authEntry(for registryKey: String) -> AuthEntry? {
        guard let auths = document["auths"]?.object else { return nil }
        let host = ImageReference.hostOfRegistryKey(registryKey)
        let value = auths[registryKey] ?? auths.first(where: { Self.sameRegistry($0.key, host) })?.value
        guard let fields = value?.object else { return nil }
        return AuthEntry(
            auth: fields["auth"]?.string, identityToken: fields["identitytoken"]?.string,
            username: fields["username"]?.string, password: fields["password"]?.string)
    }

    /// Records credentials in `auths` (what `docker login` does without a helper).
    public mutating func setAuth(_ credentials: Credentials, for registryKey: String) {
        var auths = document["auths"]?.object ?? [:]
        var entry = auths[registryKey]?.object ?? [:]
        switch credentials {
        case .basic(let username, let password):
            entry["auth"] = .string(Data("\(username):\(password)".utf8).base64EncodedString())
            entry["identitytoken"] = nil
        case .identityToken(let username, let token):
            entry["auth"] = .string(Data("\(username):".utf8).base64EncodedString())
            entry["identitytoken"] = .string(token)
        }
        auths[registryKey] = .object(entry)
        document["auths"] = .object(auths)
    }

    /// Forgets the `auths` entry of `registryKey` (and of the same host spelled
    /// otherwise); true when there was one.
    @discardableResult
    public mutating func removeAuth(for registryKey: String) -> Bool {
        guard var auths = document["auths"]?.object else { return false }
        let host = ImageReference.hostOfRegistryKey(registryKey)
        let keys = auths.keys.filter { $0 == registryKey || Self.sameRegistry($0, host) }
        for key in keys { auths[key] = nil }
        document["auths"] = .object(auths)
        return !keys.isEmpty
    }

    private static func sameRegistry(_ key: String, _ host: String) -> Bool {
        let other = ImageReference.hostOfRegistryKey(key)
        return other == host
            || ImageReference.credentialKey(forRegistry: other) == ImageReference.credentialKey(forRegistry: host)
    }
}

/// Any JSON value, kept whole: docker's `config.json` holds keys Berth does
/// not know (`proxies`, `psFormat`, `plugins`, …), and writing it back for
/// `login` must keep them.
public enum JSONValue: Hashable, Sendable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes whatever JSON value comes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as it was read.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The string, when this is one.
    public var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The members, when this is an object.
    public var object: [String: JSONValue]? {
        if case .object(let value) = self { value } else { nil }
    }
}
