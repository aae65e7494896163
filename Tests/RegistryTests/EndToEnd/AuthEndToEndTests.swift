import BerthModel
import HostOS
import Registry
import TestSupport
import Testing

/// A registry that wants TLS with a private CA, Basic auth, or bearer
/// tokens from a token server the test runs: the real flows.
@Suite struct AuthEndToEndTests {
    static let image = "app:v1"

    /// A layout with one small image tagged `v1`.
    static func layout(in scratch: ScratchDirectory) async throws -> (OCILayout, Digest) {
        let layout = try OCILayout(at: scratch.path("layout"))
        let image = try layout.image([try await TestLayer.make([("secret", TestLayer.noise(5000, seed: 9))], .gzip)])
        try layout.tag(image.manifest, "v1")
        return (layout, image.manifest.digest)
    }

    @Test func tlsWithAPrivateCAFromCertsD() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let pki = try await TestPKI(in: scratch)
            let registry = try await LocalRegistry(in: scratch, name: "registry", tls: (pki.serverCert, pki.serverKey))
            defer { registry.stop() }
            let (layout, digest) = try await Self.layout(in: scratch)
            try await layout.push("v1", to: "\(registry.host)/\(Self.image)")
            let reference = try ImageReference(parsing: "\(registry.host)/\(Self.image)")

            try scratch.write("certs.d/\(registry.host)/ca.crt", try pki.caPEM())
            var trusting = RegistrySettings(certificateDirectories: [scratch.path("certs.d")])
            trusting.loopbackIsInsecure = false
            let resolved = try await withClient(settings: trusting) { try await $0.resolve(reference) }
            #expect(resolved.manifest.digest == digest)

            var strict = RegistrySettings(certificateDirectories: [])
            strict.loopbackIsInsecure = false
            _ = try await expectFailure(
                .registryUnreachable, mentioning: ["refused TLS", "certs.d/\(registry.host)/ca.crt"]
            ) {
                _ = try await withClient(settings: strict) { try await $0.resolve(reference) }
            }
        }
    }

    @Test func basicAuthAgainstHtpasswd() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let line = try await run(["htpasswd", "-Bbn", "tester", "s3cret"]).output
            let htpasswd = try scratch.write("htpasswd", line)
            let registry = try await LocalRegistry(in: scratch, name: "registry", auth: .htpasswd(path: htpasswd))
            defer { registry.stop() }
            let (layout, digest) = try await Self.layout(in: scratch)
            try await layout.push("v1", to: "\(registry.host)/\(Self.image)", credentials: "tester:s3cret")
            let reference = try ImageReference(parsing: "\(registry.host)/\(Self.image)")

            let good = StaticCredentials([registry.host: .basic(username: "tester", password: "s3cret")])
            let destination = try TestDestination(in: scratch.path("pull"))
            let pulled = try await withClient(credentials: good) { client in
                try await ImagePuller(client: client).pull(reference, into: destination)
            }
            #expect(pulled.image.manifest.digest == digest)

            let bad = StaticCredentials([registry.host: .basic(username: "tester", password: "wrong")])
            _ = try await expectFailure(.unauthorized, mentioning: [registry.host, "\"app\"", "berth login"]) {
                _ = try await withClient(credentials: bad) { try await $0.resolve(reference) }
            }
            _ = try await expectFailure(.unauthorized, mentioning: [registry.host]) {
                _ = try await withClient { try await $0.resolve(reference) }
            }
        }
    }

    @Test func bearerTokensFromATokenServerOnePerScope() async throws {
        try await withScratchDirectory(prefix: "berth-registry") { scratch in
            let pki = try await TestPKI(in: scratch)
            let tokens = try await TokenServer(in: scratch, pki: pki, user: "tester:s3cret", refreshToken: "refresh-1")
            defer { tokens.stop() }
            let registry = try await LocalRegistry(
                in: scratch, name: "registry",
                auth: .token(
                    realm: tokens.realm, service: "berth-test-registry", issuer: TokenServer.issuer,
                    bundle: pki.tokenCert))
            defer { registry.stop() }
            let (layout, digest) = try await Self.layout(in: scratch)
            try await layout.push("v1", to: "\(registry.host)/\(Self.image)", credentials: "tester:s3cret")
            let reference = try ImageReference(parsing: "\(registry.host)/\(Self.image)")
            let before = tokens.requests(containing: "GET repository:app:pull user=tester")

            let good = StaticCredentials([registry.host: .basic(username: "tester", password: "s3cret")])
            let destination = try TestDestination(in: scratch.path("pull"))
            let pulled = try await withClient(credentials: good) { client in
                try await ImagePuller(client: client).pull(reference, into: destination)
            }
            #expect(pulled.image.manifest.digest == digest)
            #expect(pulled.fetched.count == 2)
            #expect(
                tokens.requests(containing: "GET repository:app:pull user=tester") - before == 1,
                "one token for the manifest, the config and the layer")

            let refresh = StaticCredentials([registry.host: .identityToken(username: "", token: "refresh-1")])
            let again = try await withClient(credentials: refresh) { try await $0.resolve(reference) }
            #expect(again.manifest.digest == digest)
            #expect(tokens.requests(containing: "POST repository:app:pull grant=refresh_token") == 1)

            let bad = StaticCredentials([registry.host: .basic(username: "tester", password: "nope")])
            _ = try await expectFailure(
                .unauthorized, mentioning: ["token server", "as \"tester\"", "repository:app:pull"]
            ) {
                _ = try await withClient(credentials: bad) { try await $0.resolve(reference) }
            }
        }
    }
}

/// The certificates of a test: a CA and a server certificate it signed for
/// 127.0.0.1, and the token server's self-signed RSA certificate.
struct TestPKI {
    let caCert: String
    let serverCert: String
    let serverKey: String
    let tokenCert: String
    let tokenKey: String
    let tokenDER: String

    init(in scratch: ScratchDirectory) async throws {
        let dir = try scratch.makeDirectory("pki")
        caCert = dir + "/ca.crt"
        serverCert = dir + "/server.crt"
        serverKey = dir + "/server.key"
        tokenCert = dir + "/token.crt"
        tokenKey = dir + "/token.key"
        tokenDER = dir + "/token.der"
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await run(
            ["openssl", "req", "-x509"] + ec + [
                "-keyout", dir + "/ca.key", "-out", caCert, "-days", "1", "-subj", "/CN=berth test CA",
            ])
        try await run(
            ["openssl", "req"] + ec + ["-keyout", serverKey, "-out", dir + "/server.csr", "-subj", "/CN=127.0.0.1"])
        let ext = try scratch.write(
            "pki/ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
        try await run([
            "openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", caCert, "-CAkey", dir + "/ca.key",
            "-CAcreateserial", "-out", serverCert, "-days", "1", "-extfile", ext,
        ])
        try await run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tokenKey, "-out", tokenCert, "-days",
            "1",
            "-subj", "/CN=berth test token issuer",
        ])
        try await run(["openssl", "x509", "-in", tokenCert, "-outform", "der", "-out", tokenDER])
    }

    func caPEM() throws -> String {
        guard let bytes = try AtomicFile.read(caCert) else { throw TestFailure("no \(caCert)") }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Fixtures/token_server.py on 127.0.0.1.
final class TokenServer {
    static let issuer = "berth-test-issuer"
    let process: BackgroundProcess
    let port: Int
    let log: String
    var realm: String { "http://127.0.0.1:\(port)/token" }

    init(in scratch: ScratchDirectory, pki: TestPKI, user: String, refreshToken: String) async throws {
        log = scratch.path("tokens.log")
        process = try BackgroundProcess(
            [
                "python3", Fixtures.directory + "/token_server.py", "--key", pki.tokenKey, "--cert-der", pki.tokenDER,
                "--issuer", Self.issuer, "--user", user, "--refresh-token", refreshToken, "--log", log,
            ], output: scratch.path("token-server.out"))
        guard let port = Int(try await process.firstLine()) else { throw TestFailure("the token server gave no port") }
        self.port = port
    }

    func stop() { process.stop() }

    /// How many requests of its log contain `text`.
    func requests(containing text: String) -> Int {
        lines(of: contents(of: log), containing: text)
    }
}
