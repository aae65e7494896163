import Foundation
import Glibc
import TestSupport
import Testing

/// A CNCF distribution registry (Debian's `docker-registry`) on 127.0.0.1
/// for one test: its storage, config and access log in the daemon's root,
/// optionally behind htpasswd Basic auth. `stop()` ends it (by its pid).
final class TestRegistry: @unchecked Sendable {
    let port: Int
    let log: String
    private let pid: pid_t
    /// `127.0.0.1:PORT`.
    var host: String { "127.0.0.1:\(port)" }

    /// Starts one under `directory`; with `htpasswd`, Basic auth against that file.
    init(
        in directory: String, name: String = "registry", htpasswd: String? = nil, token: TestTokenServer? = nil
    ) async throws {
        let (fd, port) = loopbackSocket()
        close(fd)
        self.port = port
        log = directory + "/\(name).log"
        var config = """
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: \(directory)/\(name)-data
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)

            """
        if let htpasswd { config += "auth:\n  htpasswd:\n    realm: berth-test\n    path: \(htpasswd)\n" }
        if let token {
            config += "auth:\n  token:\n    realm: \(token.realm)\n    service: berth-test-registry\n"
            config += "    issuer: \(TestTokenServer.issuer)\n    rootcertbundle: \(token.certificate)\n"
        }
        let path = directory + "/\(name).yml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        pid = try spawn(["/usr/bin/docker-registry", "serve", path], log: log)
        let answered = try await eventually(within: 60) {
            (try? await run(["curl", "-s", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:\(port)/v2/"]))?
                .status == 0
        }
        if !answered {
            stop()
            throw TestFailure("docker-registry did not answer on \(port): \(logText)")
        }
    }

    var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Access-log lines of requests containing `text` (`GET /v2/st/a/blobs/sha256:…`).
    func requests(containing text: String) -> Int {
        logText.split(separator: "\n").filter { $0.contains("\"" + text) }.count
    }

    /// GETs of the blob `digest`, from any repository.
    func blobFetches(_ digest: String) -> Int {
        logText.split(separator: "\n").filter { $0.contains("\"GET /v2/") && $0.contains("/blobs/" + digest) }.count
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Puts the busybox OCI archive into the registry as `repository:tag`
    /// with skopeo (a real client); `dockerFormat` writes a docker schema 2
    /// manifest (another digest, the same blobs).
    func put(busyboxAs repository: String, tag: String, dockerFormat: Bool = false, credentials: String? = nil)
        async throws
    {
        if access(BusyboxImage.path, R_OK) != 0 {
            let made = try await run([TestDaemon.repository + "/scripts/make-busybox-image.sh", BusyboxImage.path])
            guard made.status == 0 else { throw TestFailure("make-busybox-image.sh failed: \(made.stderr)") }
        }
        let format = (dockerFormat ? ["--format", "v2s2"] : []) + (credentials.map { ["--dest-creds", $0] } ?? [])
        let copied = try await run(
            ["skopeo", "copy", "--dest-tls-verify=false"] + format
                + ["oci-archive:" + BusyboxImage.path, "docker://\(host)/\(repository):\(tag)"])
        guard copied.status == 0 else { throw TestFailure("skopeo copy: \(copied.stderr)") }
    }

    /// The manifest digest the registry has for `repository:tag`, as skopeo reads it.
    func digest(of repository: String, tag: String, credentials: String? = nil) async throws -> String {
        let inspected = try await run(
            ["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}"]
                + (credentials.map { ["--creds", $0] } ?? []) + ["docker://\(host)/\(repository):\(tag)"])
        guard inspected.status == 0 else { throw TestFailure("skopeo inspect: \(inspected.stderr)") }
        return inspected.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The manifest of `repository:tag`, raw, as skopeo reads it.
    func rawManifest(of repository: String, tag: String) async throws -> String {
        let inspected = try await run(
            ["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(host)/\(repository):\(tag)"])
        guard inspected.status == 0 else { throw TestFailure("skopeo inspect --raw: \(inspected.stderr)") }
        return inspected.stdout
    }
}

/// Runs `body` with a started registry, stopped whatever happens.
func withRegistry(
    _ daemon: TestDaemon, name: String = "registry", htpasswd: String? = nil, token: TestTokenServer? = nil,
    _ body: (TestRegistry) async throws -> Void
) async throws {
    let registry = try await TestRegistry(in: daemon.root, name: name, htpasswd: htpasswd, token: token)
    do {
        try await body(registry)
    } catch {
        Issue.record(
            "registry log tail:\n\(registry.logText.split(separator: "\n").suffix(20).joined(separator: "\n"))")
        registry.stop()
        throw error
    }
    registry.stop()
}

extension TestRegistry {
    /// Puts a multi-platform image as `repository:tag`: an OCI index whose
    /// first entry is linux/arm64 (busybox's layer under a config that says
    /// arm64) and second linux/amd64 (busybox itself). Returns the amd64
    /// manifest's digest and the index's.
    func putMultiPlatform(_ repository: String, tag: String, scratch: String) async throws -> (
        amd64: String, index: String
    ) {
        try await put(busyboxAs: repository + "-base", tag: tag)
        let layout = scratch + "/multi-layout"
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        let unpacked = try await run(["tar", "-xf", BusyboxImage.path, "-C", layout])
        guard unpacked.status == 0 else { throw TestFailure("tar: \(unpacked.stderr)") }
        func read(_ digest: String) throws -> Data {
            try Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + digest.dropFirst(7)))
        }
        func write(_ data: Data) async throws -> String {
            let file = layout + "/blobs/new"
            try data.write(to: URL(fileURLWithPath: file))
            let sum = try await run(["sha256sum", file])
            let hex = String(sum.stdout.prefix(64))
            try FileManager.default.moveItem(atPath: file, toPath: layout + "/blobs/sha256/" + hex)
            return "sha256:" + hex
        }
        func object(_ data: Data) throws -> [String: Any] {
            guard let value = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TestFailure("not a JSON object")
            }
            return value
        }
        let top = try object(try Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
        let entry = try #require((top["manifests"] as? [[String: Any]])?.first)
        let amd64 = try #require(entry["digest"] as? String)
        let manifestData = try read(amd64)
        var manifest = try object(manifestData)
        var config = try #require(manifest["config"] as? [String: Any])
        var configObject = try object(try read(try #require(config["digest"] as? String)))
        configObject["architecture"] = "arm64"
        let armConfig = try JSONSerialization.data(withJSONObject: configObject, options: [.sortedKeys])
        config["digest"] = try await write(armConfig)
        config["size"] = armConfig.count
        manifest["config"] = config
        let armManifest = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
        let arm64 = try await write(armManifest)
        let type = "application/vnd.oci.image.manifest.v1+json"
        let index: [String: Any] = [
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                [
                    "mediaType": type, "digest": arm64, "size": armManifest.count,
                    "platform": ["os": "linux", "architecture": "arm64"],
                ],
                [
                    "mediaType": type, "digest": amd64, "size": manifestData.count,
                    "platform": ["os": "linux", "architecture": "amd64"],
                ],
            ],
        ]
        let indexData = try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
        let indexDigest = try await write(indexData)
        let layoutIndex: [String: Any] = [
            "schemaVersion": 2,
            "manifests": [
                [
                    "mediaType": "application/vnd.oci.image.index.v1+json", "digest": indexDigest,
                    "size": indexData.count, "annotations": ["org.opencontainers.image.ref.name": "multi"],
                ]
            ],
        ]
        try JSONSerialization.data(withJSONObject: layoutIndex).write(to: URL(fileURLWithPath: layout + "/index.json"))
        let copied = try await run([
            "skopeo", "copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "oci:\(layout):multi",
            "docker://\(host)/\(repository):\(tag)",
        ])
        guard copied.status == 0 else { throw TestFailure("skopeo copy --all: \(copied.stderr)") }
        return (amd64, indexDigest)
    }
}

/// A docker token server (RegistryTests' Fixtures/token_server.py) on
/// 127.0.0.1, signing with an RSA key made by openssl for the test; the
/// registry's `auth: token` verifies its tokens, so the flow is the real one.
final class TestTokenServer: @unchecked Sendable {
    static let issuer = "berth-test-issuer"
    let certificate: String
    let log: String
    let port: Int
    private let pid: pid_t
    var realm: String { "http://127.0.0.1:\(port)/token" }

    init(in directory: String, user: String) async throws {
        let key = directory + "/token.key"
        certificate = directory + "/token.crt"
        let der = directory + "/token.der"
        log = directory + "/tokens.log"
        for command in [
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                "-days", "1", "-subj", "/CN=berth test token issuer",
            ],
            ["openssl", "x509", "-in", certificate, "-outform", "der", "-out", der],
        ] {
            let made = try await run(command)
            guard made.status == 0 else { throw TestFailure("\(command[0..<2]): \(made.stderr)") }
        }
        let output = directory + "/token-server.out"
        pid = try spawn(
            [
                "/usr/bin/python3", TestDaemon.repository + "/Tests/RegistryTests/Fixtures/token_server.py", "--key",
                key, "--cert-der", der, "--issuer", Self.issuer, "--user", user, "--log", log,
            ], log: output)
        var found: Int?
        _ = try await eventually(within: 60) {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            found = text.split(separator: "\n").first.flatMap { Int($0) }
            return found != nil
        }
        guard let found else {
            kill(pid, SIGTERM)
            throw TestFailure("the token server gave no port")
        }
        port = found
    }

    /// Token requests whose log line contains `text` (`GET repository:st/app:pull user=berth`).
    func requests(containing text: String) -> Int {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter {
            $0.contains(text)
        }.count
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

/// RegistryTests' Fixtures/fault_proxy.py on 127.0.0.1 in front of a test
/// registry: drops a blob mid-way, answers 429, or flips a byte.
final class TestFaultProxy: @unchecked Sendable {
    let port: Int
    let log: String
    private let pid: pid_t
    var host: String { "127.0.0.1:\(port)" }

    init(in directory: String, upstream: String, faults: [String]) async throws {
        let name = "fault-proxy-\(UInt32.random(in: 0...UInt32.max))"
        let output = directory + "/\(name).out"
        log = directory + "/\(name).log"
        pid = try spawn(
            [
                "/usr/bin/python3", TestDaemon.repository + "/Tests/RegistryTests/Fixtures/fault_proxy.py",
                "--upstream", upstream, "--log", log,
            ] + faults, log: output)
        var found: Int?
        _ = try await eventually(within: 60) {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            found = text.split(separator: "\n").first?.split(separator: " ").first.flatMap { Int($0) }
            return found != nil
        }
        guard let found else {
            kill(pid, SIGTERM)
            throw TestFailure("the fault proxy gave no port")
        }
        port = found
    }

    /// Requests the proxy logged containing `text` (`GET /v2/… range=bytes=N- auth=no`).
    func requests(containing text: String) -> Int {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter {
            $0.contains(text)
        }.count
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
