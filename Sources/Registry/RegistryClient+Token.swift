import AsyncHTTPClient
import BerthModel
import Foundation
import NIOCore
import NIOHTTP1

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
            if credentials != nil { query.append(URLQueryItem(name: "client_id", value: "berth")) }
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
            throw BerthError(.registryProtocol, "\(what): the answer holds no token", cause: RegistryErrorBody.summary(body))
        }
        let lifetime = Double(max(answer.expires_in ?? 60, 60))
        return AuthSession.Token(value: token, expires: .now + .seconds(lifetime * 0.9))
    }

    /// `application/x-www-form-urlencoded` for one value.
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value).replacingOccurrences(of: "%20", with: "+")
    }
}
