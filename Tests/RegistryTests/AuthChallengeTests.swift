import Testing

@testable import Registry

/// `WWW-Authenticate` as registries send it.
@Suite struct AuthChallengeTests {
    @Test func dockerHubsBearerChallenge() {
        let header =
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#
        #expect(
            AuthChallenge.parse(header) == [
                AuthChallenge(
                    scheme: "Bearer",
                    parameters: [
                        "realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                        "scope": "repository:library/busybox:pull",
                    ])
            ])
    }

    @Test func basicWithARealm() {
        #expect(
            AuthChallenge.parse(#"Basic realm="Registry Realm""#) == [
                AuthChallenge(scheme: "basic", parameters: ["realm": "Registry Realm"])
            ])
    }

    @Test func commasAndEscapesInsideQuotes() {
        let header =
            #"Bearer realm="https://a.example/token",scope="repository:a:pull,push repository:b:pull",error="say \"no\"""#
        let challenge = AuthChallenge.parse(header).first
        #expect(challenge?["scope"] == "repository:a:pull,push repository:b:pull")
        #expect(challenge?["error"] == #"say "no""#)
        #expect(challenge?["REALM"] == "https://a.example/token", "names are case-insensitive")
    }

    @Test func severalChallengesInOneHeader() {
        let header = #"Basic realm="r1", Bearer realm="https://t.example/token", service = svc , Negotiate abc=="#
        let challenges = AuthChallenge.parse(header)
        #expect(challenges.map(\.scheme) == ["basic", "bearer", "negotiate"])
        #expect(challenges[1].parameters == ["realm": "https://t.example/token", "service": "svc"])
    }

    @Test func unquotedValuesAndGarbage() {
        #expect(
            AuthChallenge.parse("Bearer realm=https://t.example/token,service=reg")[0].parameters == [
                "realm": "https://t.example/token", "service": "reg",
            ])
        #expect(AuthChallenge.parse("").isEmpty)
        #expect(AuthChallenge.parse(#"Bearer realm="unterminated"#)[0]["realm"] == "unterminated")
    }
}
