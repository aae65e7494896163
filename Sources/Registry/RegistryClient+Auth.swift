import AsyncHTTPClient
import BerthModel
import Foundation
import NIOCore
import NIOHTTP1

/// What one registry endpoint asked for and what it gave: its challenge
/// (from the `/v2/` probe or a 401), and the bearer tokens, one per set of
/// scopes, reused across requests until they expire.
actor AuthSession {
    /// A bearer token and when it stops being good.
    struct Token: Sendable {
        let value: String
        let expires: ContinuousClock.Instant
    }

    /// Whether `/v2/` has been asked yet.
    private(set) var probed = false
    /// The scheme the registry wants, if any.
    private(set) var challenge: AuthChallenge?
    private var tokens: [String: Token] = [:]
    /// The credentials, once looked up (a helper is a process: not one per request).
    private var credentials: Credentials??
    private var pending: [String: Task<Token, any Error>] = [:]

    /// Records the `/v2/` answer's challenge (nil: no auth wanted).
    func probed(challenge: AuthChallenge?) {
        probed = true
        self.challenge = challenge
    }

    /// A 401 came with `challenge`: use it from now on; tokens for other
    /// parameters are no longer good.
    func challenged(_ challenge: AuthChallenge) {
        if self.challenge != challenge {
            tokens = [:]
        }
        self.challenge = challenge
    }

    /// Forgets the token of `scopes` and the credentials (the registry
    /// refused them: a `docker login` since may have changed them).
    func invalidate(_ scopes: [String]) {
        tokens[Self.key(scopes)] = nil
        credentials = nil
    }

    /// The Authorization header for a request needing `scopes`: nil when the
    /// registry wants none; Basic from the credentials `lookup` finds; a
    /// Bearer token, from the cache or (one fetch at a time per scope set)
    /// from `fetch`.
    func authorization(
        scopes: [String], lookup: @Sendable () async throws(BerthError) -> Credentials?,
        fetch: @escaping @Sendable (AuthChallenge, [String], Credentials?) async throws -> Token
    ) async throws(BerthError) -> String? {
        guard let challenge else { return nil }
        let credentials: Credentials?
        if let known = self.credentials {
            credentials = known
        } else {
            credentials = try await lookup()
            self.credentials = .some(credentials)
        }
        switch challenge.scheme {
        case "basic":
            guard case .basic(let username, let password)? = credentials else { return nil }
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case "bearer":
            let key = Self.key(scopes)
            if let token = tokens[key], token.expires > .now { return "Bearer " + token.value }
            let task =
                pending[key]
                ?? Task { try await fetch(challenge, scopes, credentials) }
            pending[key] = task
            defer { pending[key] = nil }
            do {
                let token = try await task.value
                tokens[key] = token
                return "Bearer " + token.value
            } catch let error as BerthError {
                throw error
            } catch {
                throw BerthError(
                    .unauthorized, "cannot get a token from \(challenge["realm"] ?? "?")", cause: "\(error)")
            }
        default:
            throw BerthError(
                .unsupported, "the registry asks for \(challenge.scheme) authentication, which Berth does not speak")
        }
    }

    private static func key(_ scopes: [String]) -> String { scopes.sorted().joined(separator: " ") }
}

extension RegistryClient {
    /// The token server's answer (docker's token spec, and OAuth's spelling).
    private struct TokenAnswer: Decodable {
        var token: String?
        var access_token: String?
        var expires_in: Int?
    }

    /// Asks the realm of a Bearer challenge for a token of `scopes`
    /// (docker's token flow): a GET with Basic credentials or none, or, with
    /// an identity token, an OAuth POST with `grant_type=refresh_token`.
    /// A token lives `expires_in` seconds (at least 60, as the spec says
    /// when it is absent), used until 10% of that is left.
    func fetchToken(_ challenge: AuthChallenge, scopes: [String], credentials: Credentials?, endpoint: Endpoint)
        async throws -> AuthSession.Token
    {
        guard let realm = challenge["realm"], var components = URLComponents(string: realm),
            components.scheme == "https" || components.scheme == "http"
        else {
            throw BerthError(
                .registryProtocol, "registry \(endpoint) gave a Bearer challenge without a usable realm",
                cause: challenge["realm"].map { "realm \"\($0)\"" })
        }
        let service = challenge["service"]
        var query = components.queryItems ?? []
        var request: HTTPClientRequest
        if case .identityToken(_, let token) = credentials {
            var form = ["grant_type=refresh_token", "refresh_token=" + Self.formEncode(token), "client_id=berth"]
            if let service { form.append("service=" + Self.formEncode(service)) }
            if !scopes.isEmpty { form.append("scope=" + Self.formEncode(scopes.joined(separator: " "))) }
            request = HTTPClientRequest(url: components.string ?? realm)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form.joined(separator: "&")))
        } else {
            if let service { query.append(URLQueryItem(name: "service", value: service)) }
            query += scopes.map { URLQueryItem(name: "scope", value: $0) }
            if let credentials {
                // As docker: the account names the user to the token server.
                query.append(URLQueryItem(name: "account", value: credentials.username))
                query.append(URLQueryItem(name: "client_id", value: "berth"))
            }
            components.queryItems = query
            request = HTTPClientRequest(url: components.string ?? realm)
            if case .basic(let username, let password) = credentials {
                request.headers.add(
                    name: "Authorization", value: "Basic " + Data("\(username):\(password)".utf8).base64EncodedString())
            }
        }
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        if components.host == URL(string: endpoint.base)?.host { request.tlsConfiguration = endpoint.tls }
        let what = "getting a token for \(scopes.joined(separator: " ")) from \(components.host ?? realm)"
        let response: HTTPClientResponse
        do {
            response = try await execute(request, on: endpoint, what: what, deadline: .seconds(60))
        } catch {
            throw error.error
        }
        let body = try await collect(response.body, limit: 1 << 20, what: what)
        guard response.status == .ok else {
            let who = credentials.map { "as \"\($0.username)\"" } ?? "anonymously"
            throw RegistryErrorBody.error(
                status: response.status, body: body, code: .unauthorized,
                message: "the token server of \(endpoint.host) refused \(who) for \(scopes.joined(separator: " "))")
        }
        guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: Data(body)),
            let token = answer.token ?? answer.access_token, !token.isEmpty
        else {
            throw BerthError(
                .registryProtocol, "\(what): the answer holds no token", cause: RegistryErrorBody.summary(body))
        }
        let lifetime = Double(max(answer.expires_in ?? 60, 60))
        return AuthSession.Token(value: token, expires: .now + .seconds(lifetime * 0.9))
    }

    /// `application/x-www-form-urlencoded` for one value.
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value).replacingOccurrences(
            of: "%20", with: "+")
    }
}

extension RegistryClient {
    /// `berth login`: whether the registry `domain` (`docker.io`,
    /// `localhost:5000`) accepts the credentials this client's source gives
    /// for it: `GET /v2/` with them (after a token fetch with no scope, as
    /// docker's login does, when the registry wants bearer tokens).
    public func checkLogin(_ domain: String) async throws(BerthError) {
        let what = "logging in to \(domain)"
        let candidates = try await endpoints(for: domain, purpose: what)
        guard let endpoint = candidates.last(where: { !$0.isMirror }) else {
            throw BerthError(.registryUnreachable, "no endpoint for \(domain)")
        }
        let response = try await send(
            RegistryRequest(path: "/v2/", scopes: [], what: what), on: endpoint, domain: domain)
        let body = try await collect(response.body, limit: 64 << 10, what: what)
        guard (200..<300).contains(response.status.code) else {
            throw RegistryErrorBody.error(
                status: response.status, body: body, code: .unauthorized,
                message: "\(what): the registry refused the credentials")
        }
    }
}
