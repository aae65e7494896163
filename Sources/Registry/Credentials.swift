import BerthModel
import Foundation
import HostOS

/// What a registry is logged into with.
public enum Credentials: Sendable, Hashable {
    /// A user and a password (or a personal access token in the password's place).
    case basic(username: String, password: String)
    /// An OAuth refresh token that docker calls an identity token: traded at
    /// the token server (`grant_type=refresh_token`) instead of a password.
    case identityToken(username: String, token: String)

    /// The user name, for messages.
    public var username: String {
        switch self {
        case .basic(let username, _), .identityToken(let username, _): username
        }
    }
}

/// Where a client finds credentials for a registry.
public protocol CredentialSource: Sendable {
    /// The credentials for `registry` (a reference's domain, `docker.io` for
    /// Docker Hub), or nil to go anonymous.
    func credentials(forRegistry registry: String) async throws(BerthError) -> Credentials?
}

/// No credentials anywhere: every registry anonymously.
public struct NoCredentials: CredentialSource {
    /// Anonymous.
    public init() {}
    /// Always nil.
    public func credentials(forRegistry registry: String) async throws(BerthError) -> Credentials? { nil }
}

/// Credentials fixed in advance, by registry domain (tests, or a caller that asked the user).
public struct StaticCredentials: CredentialSource {
    let byRegistry: [String: Credentials]
    /// Credentials for each domain.
    public init(_ byRegistry: [String: Credentials]) { self.byRegistry = byRegistry }
    /// The entry of `registry`, or nil.
    public func credentials(forRegistry registry: String) async throws(BerthError) -> Credentials? {
        byRegistry[registry]
    }
}

/// docker's way: `config.json`'s helpers first (`credHelpers[registry]`,
/// then `credsStore`), else its `auths`. Read anew on every call, so a
/// `docker login` in another terminal counts without a restart.
public struct DockerCredentials: CredentialSource {
    /// The directory of config.json.
    public let directory: String
    let helpers: CredentialHelpers

    /// Credentials from `directory` (default: `$DOCKER_CONFIG`, else
    /// `~/.docker`); helpers run through `runner`, found in `helperSearchPath`
    /// (default: PATH).
    public init(
        directory: String = DockerConfig.directory(), runner: any CommandRunner = ProcessRunner(),
        helperSearchPath: [String]? = nil
    ) {
        self.directory = directory
        self.helpers = CredentialHelpers(runner: runner, searchPath: helperSearchPath)
    }

    /// What docker would send to `registry`.
    public func credentials(forRegistry registry: String) async throws(BerthError) -> Credentials? {
        let config = try DockerConfig.load(directory: directory)
        let key = ImageReference.credentialKey(forRegistry: registry)
        if let helper = config.helper(for: key) {
            return try await helpers.get(helper: helper, serverURL: key)
        }
        guard let entry = config.authEntry(for: key) else { return nil }
        return try Self.decode(entry, key: key)
    }

    /// `berth login`: stores `credentials` where docker would (the helper, else `auths`).
    public func store(_ credentials: Credentials, forRegistry registry: String) async throws(BerthError) {
        var config = try DockerConfig.load(directory: directory)
        let key = ImageReference.credentialKey(forRegistry: registry)
        if let helper = config.helper(for: key) {
            try await helpers.store(helper: helper, serverURL: key, credentials: credentials)
            // As docker: an empty entry in `auths` lists the login, the secret is the helper's.
            config.clearSecret(for: key)
            try config.save(directory: directory)
            return
        }
        config.setAuth(credentials, for: key)
        try config.save(directory: directory)
    }

    /// `berth logout`: forgets `registry` in the helper and in `auths`; false
    /// when there was nothing to forget.
    @discardableResult
    public func erase(forRegistry registry: String) async throws(BerthError) -> Bool {
        var config = try DockerConfig.load(directory: directory)
        let key = ImageReference.credentialKey(forRegistry: registry)
        var erased = false
        if let helper = config.helper(for: key) {
            erased = try await helpers.erase(helper: helper, serverURL: key)
        }
        if config.removeAuth(for: key) {
            try config.save(directory: directory)
            erased = true
        }
        return erased
    }

    /// An `auths` entry as credentials: `auth` is base64 `user:password`;
    /// with an `identitytoken` the password part is empty.
    static func decode(_ entry: DockerConfig.AuthEntry, key: String) throws(BerthError) -> Credentials? {
        var username = entry.username ?? ""
        var password = entry.password ?? ""
        if let auth = entry.auth, !auth.isEmpty {
            guard let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else {
                throw BerthError(
                    .invalidArgument, "the docker config's auth for \(key) is not base64 of user:password")
            }
            username = String(text[..<colon])
            password = String(text[text.index(after: colon)...])
        }
        if let token = entry.identityToken, !token.isEmpty {
            return .identityToken(username: username, token: token)
        }
        return username.isEmpty && password.isEmpty ? nil : .basic(username: username, password: password)
    }
}

extension DockerConfig {
    /// Makes `key`'s `auths` entry empty: the login is listed, its secret is elsewhere.
    mutating func clearSecret(for key: String) {
        var auths = document["auths"]?.object ?? [:]
        auths[key] = .object([:])
        setDocument("auths", .object(auths))
    }
}

/// docker's credential-helper protocol: `docker-credential-NAME get|store|erase`,
/// the server URL (or a JSON record) on stdin, JSON on stdout.
struct CredentialHelpers: Sendable {
    let runner: any CommandRunner
    /// Where `docker-credential-NAME` is looked for; nil: this process's PATH.
    let searchPath: [String]?
    /// A helper that hangs (a keychain prompt nobody answers) must not hang a pull.
    static let timeout: Duration = .seconds(30)

    private struct Record: Codable {
        var ServerURL: String?
        var Username: String
        var Secret: String
    }

    /// The helper's credentials for `serverURL`, or nil when it has none.
    func get(helper: String, serverURL: String) async throws(BerthError) -> Credentials? {
        let result = try await run(helper, "get", input: Array(serverURL.utf8))
        guard result.succeeded else {
            // The helpers' own spelling of "nothing stored" (docker matches it too).
            if result.output.contains("credentials not found") || result.errorOutput.contains("credentials not found") {
                return nil
            }
            throw failure(helper, "get", serverURL, result)
        }
        let record: Record
        do {
            record = try JSONDecoder().decode(Record.self, from: Data(result.standardOutput))
        } catch {
            throw BerthError(
                .credentialHelper, "docker-credential-\(helper) get \(serverURL) answered no credential record",
                cause: "\(error)")
        }
        if record.Username.isEmpty && record.Secret.isEmpty { return nil }
        // A helper keeps an identity token under the user name `<token>`.
        if record.Username == "<token>" { return .identityToken(username: "", token: record.Secret) }
        return .basic(username: record.Username, password: record.Secret)
    }

    /// Hands `credentials` to the helper.
    func store(helper: String, serverURL: String, credentials: Credentials) async throws(BerthError) {
        let record: Record
        switch credentials {
        case .basic(let username, let password):
            record = Record(ServerURL: serverURL, Username: username, Secret: password)
        case .identityToken(_, let token):
            record = Record(ServerURL: serverURL, Username: "<token>", Secret: token)
        }
        let input: [UInt8]
        do {
            input = Array(try JSONEncoder().encode(record))
        } catch {
            throw BerthError(.credentialHelper, "cannot encode the credentials for \(serverURL)", cause: "\(error)")
        }
        let result = try await run(helper, "store", input: input)
        guard result.succeeded else { throw failure(helper, "store", serverURL, result) }
    }

    /// Asks the helper to forget `serverURL`; false when it had nothing.
    func erase(helper: String, serverURL: String) async throws(BerthError) -> Bool {
        let result = try await run(helper, "erase", input: Array(serverURL.utf8))
        if result.succeeded { return true }
        if result.output.contains("credentials not found") || result.errorOutput.contains("credentials not found") {
            return false
        }
        throw failure(helper, "erase", serverURL, result)
    }

    private func run(_ helper: String, _ verb: String, input: [UInt8]) async throws(BerthError) -> CommandResult {
        var program = "docker-credential-" + helper
        if let directory = searchPath?.first(where: { Files.kind("\($0)/\(program)") != .missing }) {
            program = "\(directory)/\(program)"
        }
        let command = Command([program, verb], standardInput: input, timeout: Self.timeout)
        do {
            return try await runner.run(command)
        } catch {
            throw BerthError(
                .credentialHelper, "cannot run the credential helper docker-credential-\(helper) \(verb)",
                cause: "\(error)")
        }
    }

    private func failure(_ helper: String, _ verb: String, _ serverURL: String, _ result: CommandResult) -> BerthError {
        let said = (result.output + " " + result.errorOutput).trimmingCharacters(in: .whitespacesAndNewlines)
        return BerthError(
            .credentialHelper, "docker-credential-\(helper) \(verb) \(serverURL) \(result.termination)",
            cause: said.isEmpty ? nil : said)
    }
}
