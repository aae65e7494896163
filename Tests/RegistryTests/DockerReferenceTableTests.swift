import BerthModel
import Registry
import Testing

/// Berth's reading of references against the cases of docker's own tests
/// (distribution/reference: reference_test.go and normalize_test.go),
/// written out as a table of our own: input → normal form, or refused.
@Suite struct DockerReferenceTableTests {
    static let hex = String(repeating: "f", count: 64)

    /// Input, then the normal form docker's ParseNormalizedNamed gives.
    static let accepted: [(String, String)] = [
        ("test_com", "docker.io/library/test_com:latest"),
        ("test.com:tag", "docker.io/library/test.com:tag"),
        ("test.com:5000", "docker.io/library/test.com:5000"),
        ("test.com/repo:tag", "test.com/repo:tag"),
        ("test:5000/repo", "test:5000/repo:latest"),
        ("test:5000/repo@sha256:\(hex)", "test:5000/repo@sha256:\(hex)"),
        ("test:5000/repo:tag@sha256:\(hex)", "test:5000/repo:tag@sha256:\(hex)"),
        ("lowercase:Uppercase", "docker.io/library/lowercase:Uppercase"),
        ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag"),
        ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com"),
        ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com"),
        ("foo_bar.com:8080", "docker.io/library/foo_bar.com:8080"),
        ("foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080"),
        ("192.168.1.1", "docker.io/library/192.168.1.1:latest"),
        ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050"),
        ("[2001:db8::1]/repo", "[2001:db8::1]/repo:latest"),
        ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag"),
        ("[2001:db8::1]:5000/repo@sha256:\(hex)", "[2001:db8::1]:5000/repo@sha256:\(hex)"),
        ("[::1]:5000/repo", "[::1]:5000/repo:latest"),
        ("docker/docker", "docker.io/docker/docker:latest"),
        ("index.docker.io/debian", "docker.io/library/debian:latest"),
        ("127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian:latest"),
        ("192.168.0.1:80", "docker.io/library/192.168.0.1:80"),
        (
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest"
        ),
        (
            "docker.io/\(String(repeating: "1a", count: 32))",
            "docker.io/library/\(String(repeating: "1a", count: 32)):latest"
        ),
        ("\(String(repeating: "1a", count: 32)):v1", "docker.io/library/\(String(repeating: "1a", count: 32)):v1"),
        ("Docker/docker", "Docker/docker:latest"),
        ("docker---rules/docker", "docker.io/docker---rules/docker:latest"),
        ("dock__er/docker", "docker.io/dock__er/docker:latest"),
        ("jess/t", "docker.io/jess/t:latest"),
        ("library/foo/bar", "docker.io/library/foo/bar:latest"),
        ("localhost:5000/x", "localhost:5000/x:latest"),
        ("ghcr.io/o/r:tag", "ghcr.io/o/r:tag"),
        ("host:1234/a/b/c", "host:1234/a/b/c:latest"),
    ]

    @Test(arguments: accepted)
    func acceptsAsDockerDoes(_ input: String, _ normal: String) throws {
        #expect(try ImageReference(parsing: input).description == normal)
    }

    /// Inputs docker refuses, and the part our message names.
    static let refused: [(String, String)] = [
        ("", "empty"),
        (":justtag", "no repository name"),
        ("@sha256:\(hex)", "no repository name"),
        ("repo@sha256:ffffffffffffffffffffffffffffffffff", "the digest \"sha256:ffff"),
        ("validname@invaliddigest:\(hex)", "the digest \"invaliddigest:"),
        ("Uppercase:tag", "must be lowercase"),
        ("test:5000/Uppercase/lowercase:tag", "must be lowercase"),
        ("aa/asdf$$^/aa", "\"asdf$$^\""),
        ("[2001:db8::1]", "the tag \"1]\""),
        ("[2001:db8::1]:5000", "\"[2001:db8::1]\""),
        ("[fe80::1%eth0]:5000/repo", "the registry host \"[fe80::1%eth0]:5000\""),
        ("https://github.com/docker/docker", "the registry host \"https:\""),
        ("docker/Docker", "must be lowercase"),
        ("-docker", "\"-docker\""),
        ("-docker.io/docker/docker", "the registry host \"-docker.io\""),
        ("docker///docker", "empty component"),
        ("fc00::1:5000/debian", "the registry host \"fc00::1:5000\""),
        ("[2001:db8:3:4::192.0.2.33]:5000/debian", "the registry host"),
        (String(repeating: "1a", count: 32), "image ID"),
        ("docker-/docker", "\"docker-\""),
        ("____/____", "\"____\""),
        ("dock..er/docker", "\"dock..er\""),
        ("dock_.er/docker", "\"dock_.er\""),
        ("docker/", "empty component"),
        (String(repeating: "a/", count: 128) + "a:tag", "longer than 255"),
        (
            "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_" + String(repeating: "x", count: 200)
                + "/docker", "longer than 255"
        ),
    ]

    @Test(arguments: refused)
    func refusesAsDockerDoes(_ input: String, _ named: String) {
        #expect {
            _ = try ImageReference(parsing: input)
        } throws: { error in
            guard let error = error as? BerthError, error.code == .invalidReference else { return false }
            return error.message.contains(named)
        }
    }

    @Test func theDigestWinsOverTheTag() throws {
        let both = try ImageReference(parsing: "busybox:1.36@sha256:\(Self.hex)")
        #expect(both.tag == "1.36")
        #expect(both.manifestReference == "sha256:\(Self.hex)")
        #expect(try ImageReference(parsing: "busybox:1.36").manifestReference == "1.36")
        #expect(try ImageReference(parsing: "busybox").manifestReference == "latest")
    }

    @Test func dockerHubIsAskedAtItsAPIHostAndKeyedAtItsV1URL() throws {
        let hub = try ImageReference(parsing: "postgres:16")
        #expect(hub.registryHost == "registry-1.docker.io")
        #expect(hub.credentialKey == "https://index.docker.io/v1/")
        #expect(hub.repositoryName == "library/postgres")
        let local = try ImageReference(parsing: "localhost:5000/team/app")
        #expect(local.registryHost == "localhost:5000")
        #expect(local.credentialKey == "localhost:5000")
        #expect(
            ImageReference.credentialKey(forRegistry: "https://registry.example:5000/v1/") == "registry.example:5000")
        #expect(ImageReference.credentialKey(forRegistry: "index.docker.io") == "https://index.docker.io/v1/")
    }
}
