import BerthModel
import Synchronization
import Testing

@testable import Registry

/// Tokens: one per scope set, fetched once however many ask, reused until
/// they expire or the registry refuses them.
@Suite struct AuthSessionTests {
    final class Counter: Sendable {
        let fetches = Mutex<[String]>([])
        let lookups = Mutex(0)
    }

    static let bearer = AuthChallenge(scheme: "bearer", parameters: ["realm": "https://t.example/token"])

    func authorize(
        _ session: AuthSession, _ scopes: [String], _ counter: Counter, lifetime: Duration = .seconds(300)
    ) async throws -> String? {
        try await session.authorization(
            scopes: scopes,
            lookup: { () async throws(BerthError) -> Credentials? in
                counter.lookups.withLock { $0 += 1 }
                return .basic(username: "u", password: "p")
            },
            fetch: { _, scopes, _ in
                let number = counter.fetches.withLock {
                    $0.append(scopes.joined(separator: " "))
                    return $0.count
                }
                try await Task.sleep(for: .milliseconds(20))
                return AuthSession.Token(value: "t\(number)", expires: .now + lifetime)
            })
    }

    @Test func oneTokenPerScopeSharedByConcurrentRequests() async throws {
        let session = AuthSession()
        await session.probed(challenge: Self.bearer)
        let counter = Counter()
        let pull = ["repository:app:pull"]
        async let a = authorize(session, pull, counter)
        async let b = authorize(session, pull, counter)
        async let c = authorize(session, pull, counter)
        let answers = try await [a, b, c]
        #expect(Set(answers) == ["Bearer t1"])
        #expect(try await authorize(session, ["repository:other:pull"], counter) == "Bearer t2")
        #expect(try await authorize(session, pull, counter) == "Bearer t1", "reused")
        #expect(counter.fetches.withLock { $0 } == ["repository:app:pull", "repository:other:pull"])
        #expect(counter.lookups.withLock { $0 } == 1, "a credential helper runs once, not per request")
    }

    @Test func aRefusedOrExpiredTokenIsFetchedAgain() async throws {
        let session = AuthSession()
        await session.probed(challenge: Self.bearer)
        let counter = Counter()
        let pull = ["repository:app:pull"]
        #expect(try await authorize(session, pull, counter) == "Bearer t1")
        await session.invalidate(pull)
        #expect(try await authorize(session, pull, counter) == "Bearer t2", "after a 401")
        #expect(counter.lookups.withLock { $0 } == 2, "and the credentials are read again")
        let expired = ["repository:old:pull"]
        #expect(try await authorize(session, expired, counter, lifetime: .zero) == "Bearer t3")
        #expect(try await authorize(session, expired, counter) == "Bearer t4", "expired")
    }

    @Test func basicAndNone() async throws {
        let counter = Counter()
        let basic = AuthSession()
        await basic.probed(challenge: AuthChallenge(scheme: "basic", parameters: ["realm": "r"]))
        #expect(try await authorize(basic, [], counter) == "Basic dTpw")
        let open = AuthSession()
        await open.probed(challenge: nil)
        #expect(try await authorize(open, [], counter) == nil)
        #expect(counter.fetches.withLock { $0 }.isEmpty)
    }
}
