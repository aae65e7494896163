import BerthModel
import Foundation

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
                throw BerthError(.unauthorized, "cannot get a token from \(challenge["realm"] ?? "?")", cause: "\(error)")
            }
        default:
            throw BerthError(
                .unsupported, "the registry asks for \(challenge.scheme) authentication, which Berth does not speak")
        }
    }

    private static func key(_ scopes: [String]) -> String { scopes.sorted().joined(separator: " ") }
}
