import BerthModel
import Registry
import Testing

/// `ImageReference` parsing: docker's grammar, docker's normalization.
@Suite struct ImageReferenceTests {
    /// Input → full normal form → the short form docker prints.
    static let valid: [(String, String, String)] = [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest"),
        ("index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("team/app:1.2", "docker.io/team/app:1.2", "team/app:1.2"),
        (
            "registry.example.com:5000/team/app:1.2", "registry.example.com:5000/team/app:1.2",
            "registry.example.com:5000/team/app:1.2"
        ),
        ("registry.example.com/a/b/c", "registry.example.com/a/b/c:latest", "registry.example.com/a/b/c:latest"),
        ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
        ("localhost:5000/app:v_1.0-rc.2", "localhost:5000/app:v_1.0-rc.2", "localhost:5000/app:v_1.0-rc.2"),
        ("[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest"),
        ("Registry.Example/app", "Registry.Example/app:latest", "Registry.Example/app:latest"),
        ("my-app__x.y---z:TAG_", "docker.io/library/my-app__x.y---z:TAG_", "my-app__x.y---z:TAG_"),
        (
            "busybox@sha256:" + String(repeating: "ab", count: 32),
            "docker.io/library/busybox@sha256:" + String(repeating: "ab", count: 32),
            "busybox@sha256:" + String(repeating: "ab", count: 32)
        ),
        (
            "busybox:1@sha256:" + String(repeating: "0", count: 64),
            "docker.io/library/busybox:1@sha256:" + String(repeating: "0", count: 64),
            "busybox:1@sha256:" + String(repeating: "0", count: 64)
        ),
    ]

    @Test(arguments: valid)
    func parses(_ input: String, _ canonical: String, _ familiar: String) throws {
        let reference = try ImageReference(parsing: input)
        #expect(reference.description == canonical)
        #expect(reference.familiar == familiar)
        #expect(try ImageReference(parsing: canonical) == reference, "the normal form parses to itself")
    }

    /// Input → the reason in the error.
    static let invalid: [(String, String)] = [
        ("", "it is empty"),
        ("Busybox", "repository name must be lowercase"),
        ("team/App", "repository name must be lowercase"),
        ("busybox:", "the tag \"\" must be"),
        ("busybox:-x", "the tag \"-x\" must be"),
        ("busybox:" + String(repeating: "t", count: 129), "must be 1 to 128"),
        ("busy box", "no spaces"),
        ("busybox/", "empty component"),
        ("a//b", "empty component"),
        ("-busybox", "the path component \"-busybox\""),
        ("busybox.", "the path component \"busybox.\""),
        ("a...b", "the path component \"a...b\""),
        ("a___b", "the path component \"a___b\""),
        ("registry.example.com:port/app", "the registry host \"registry.example.com:port\""),
        ("-registry.com/app", "the registry host \"-registry.com\""),
        ("registry.example.com/", "no repository path"),
        (":latest", "no repository name"),
        ("busybox@sha256:abc", "the digest \"sha256:abc\""),
        ("busybox@md5:" + String(repeating: "a", count: 32), "the digest"),
        (String(repeating: "a", count: 64), "is an image ID"),
        ("x.io/" + String(repeating: "a", count: 251), "longer than 255"),
        ("busybox:latest\n", "printable ASCII"),
    ]

    @Test(arguments: invalid)
    func refuses(_ input: String, _ reason: String) {
        #expect {
            _ = try ImageReference(parsing: input)
        } throws: { error in
            guard let error = error as? BerthError else { return false }
            return error.code == .invalidReference && error.message.hasPrefix("invalid image reference \"\(input)\": ")
                && error.message.contains(reason)
        }
    }

    @Test func wholeMessageNamesTheValueAndTheRule() {
        #expect(
            throws: BerthError(
                .invalidReference, "invalid image reference \"Busybox\": repository name must be lowercase")
        ) {
            try ImageReference(parsing: "Busybox")
        }
    }

    @Test func shortAndFullFormsAreOneImage() throws {
        let forms = ["busybox", "busybox:latest", "library/busybox", "docker.io/library/busybox:latest"]
        let references = try forms.map { try ImageReference(parsing: $0) }
        #expect(Set(references).count == 1)
        #expect(try ImageReference(parsing: "busybox:1") != references[0])
        #expect(try ImageReference(parsing: "quay.io/busybox") != references[0])
    }

    @Test func retaggingKeepsTheRepository() throws {
        let app = try ImageReference(parsing: "registry.example.com:5000/team/app:1.2")
        #expect(try app.tagged("2.0").description == "registry.example.com:5000/team/app:2.0")
        #expect(throws: BerthError.self) { try app.tagged(".bad") }
    }

    @Test func digestsArePathSafe() {
        #expect(throws: BerthError.self) { try Digest(parsing: "sha256:../../etc/passwd") }
        #expect(throws: BerthError.self) { try Digest(parsing: "sha256:" + String(repeating: "A", count: 64)) }
        #expect(Digest(hex: String(repeating: "f", count: 64)) != nil)
    }
}
