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
    init(in directory: String, name: String = "registry", htpasswd: String? = nil) async throws {
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
        let path = directory + "/\(name).yml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        pid = try spawn(["/usr/bin/docker-registry", "serve", path], log: log)
        let answered = try await eventually(within: 15) {
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
    func digest(of repository: String, tag: String) async throws -> String {
        let inspected = try await run(
            [
                "skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                "docker://\(host)/\(repository):\(tag)",
            ])
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
    _ daemon: TestDaemon, name: String = "registry", htpasswd: String? = nil,
    _ body: (TestRegistry) async throws -> Void
) async throws {
    let registry = try await TestRegistry(in: daemon.root, name: name, htpasswd: htpasswd)
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
