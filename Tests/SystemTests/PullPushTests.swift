import Foundation
import Glibc
import TestSupport
import Testing

extension SystemTests {
    /// Pulling and pushing against real registries started on 127.0.0.1
    /// (Debian's docker-registry), checked with skopeo, curl and the
    /// registry's own access log, never with berth's word alone.
    @Suite struct PullPushTests {
        /// `up` of a stack whose image only the registry has: pulled before
        /// anything is made, started, answering; the store records the
        /// registry's digest; a second `up` fetches nothing.
        @Test func upPullsWhatIsMissingAndTheServiceAnswers() async throws {
            try await withDaemon { daemon in
                try await withRegistry(daemon) { registry in
                    try await registry.put(busyboxAs: "st/web", tag: "1")
                    let digest = try await registry.digest(of: "st/web", tag: "1")
                    let port = freePort()
                    let image = "\(registry.host)/st/web:1"
                    let directory = try writeProject(
                        daemon,
                        """
                        name: pull\(daemon.prefix.dropFirst(5))
                        services:
                          web:
                            image: \(image)
                            init: true
                            command: ["sh", "-c", "echo pulled-web > /tmp/index.html; httpd -f -p 80 -h /tmp"]
                            ports: ["127.0.0.1:\(port):80"]
                        """)
                    let up = try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                    #expect(up.stderr.contains("Pulled"), "\(up.stderr)")
                    let answered = try await eventually(within: 20) {
                        try await curl("http://127.0.0.1:\(port)/")?.contains("pulled-web") == true
                    }
                    #expect(answered, "the pulled service did not answer on \(port)")
                    let layers = registry.logText.split(separator: "\n").filter {
                        $0.contains("\"GET /v2/st/web/blobs/") && $0.contains("\"berth/")
                    }.count
                    #expect(layers == 2, "config and one layer fetched once each: \(registry.logText)")

                    let listed = try await daemon.berthOK(["image", "ls", "--digests"])
                    #expect(listed.stdout.contains(digest), "\(listed.stdout)")
                    let inspected = try await daemon.berthOK(["image", "inspect", image])
                    #expect(inspected.stdout.contains("RepoDigests"), "\(inspected.stdout)")
                    #expect(inspected.stdout.contains("\(registry.host)/st/web@\(digest)"), "\(inspected.stdout)")

                    // Present now: the next `up` asks the registry for nothing.
                    let before = registry.requests(containing: "GET /v2/st/web/")
                    try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                    #expect(registry.requests(containing: "GET /v2/st/web/") == before)
                    try await daemon.berthOK(["down"], in: directory)
                }
            }
        }

        /// Two services whose images share their layer and config: one
        /// `berth pull` fetches each shared blob once (the registry's log counts).
        @Test func sharedLayersAreFetchedOnce() async throws {
            try await withDaemon { daemon in
                try await withRegistry(daemon) { registry in
                    try await registry.put(busyboxAs: "st/a", tag: "1")
                    try await registry.put(busyboxAs: "st/b", tag: "1", dockerFormat: true)
                    let manifest = try await registry.rawManifest(of: "st/a", tag: "1")
                    let layer = try #require(Self.digests(in: manifest).last)
                    let directory = try writeProject(
                        daemon,
                        """
                        name: shared\(daemon.prefix.dropFirst(5))
                        services:
                          a: {image: "\(registry.host)/st/a:1", command: ["true"]}
                          b: {image: "\(registry.host)/st/b:1", command: ["true"]}
                        """)
                    try await daemon.berthOK(["pull", "--progress", "plain"], in: directory)
                    #expect(registry.blobFetches(layer) == 1, "\(registry.logText)")
                    let images = try await daemon.berthOK(["image", "ls"])
                    #expect(images.stdout.contains("st/a") && images.stdout.contains("st/b"), "\(images.stdout)")
                }
            }
        }

        /// `image push` sends what the registry lacks; a fresh berthd (new
        /// root) pulls it back to the same manifest digest skopeo reads.
        @Test func pushThenPullIntoAFreshRootRoundTrips() async throws {
            try await withDaemon { daemon in
                try await withRegistry(daemon) { registry in
                    try await BusyboxImage.load(into: daemon)
                    let target = "\(registry.host)/st/pushed:1"
                    try await daemon.berthOK(["image", "tag", "busybox", target])
                    let pushed = try await daemon.berthOK(["image", "push", "--progress", "plain", target])
                    let digest = try await registry.digest(of: "st/pushed", tag: "1")
                    #expect(pushed.stdout.contains(digest), "\(pushed.stdout)")
                    let local = try await daemon.berthOK(["image", "inspect", target])
                    #expect(local.stdout.contains(digest), "the store's digest is the registry's: \(local.stdout)")
                    // Again: every blob is there, only the manifest goes.
                    let puts = registry.requests(containing: "PUT /v2/st/pushed/blobs/")
                    try await daemon.berthOK(["image", "push", target])
                    #expect(registry.requests(containing: "PUT /v2/st/pushed/blobs/") == puts)

                    // `berth push` of a project: the services' images, each to its registry.
                    let project = try writeProject(daemon, "services:\n  app: {image: \"\(target)\"}\n")
                    let manifests = registry.requests(containing: "PUT /v2/st/pushed/manifests/1")
                    try await daemon.berthOK(["push", "--progress", "plain"], in: project)
                    #expect(registry.requests(containing: "PUT /v2/st/pushed/manifests/1") == manifests + 1)

                    try await withDaemon { fresh in
                        let pulled = try await fresh.berthOK(["image", "pull", "--progress", "plain", target])
                        #expect(pulled.stdout.contains(digest), "\(pulled.stdout)")
                        let inspected = try await fresh.berthOK(["image", "inspect", target])
                        #expect(inspected.stdout.contains(digest), "\(inspected.stdout)")
                        let ran = try await fresh.berthOK(["image", "ls"])
                        #expect(ran.stdout.contains("st/pushed"), "\(ran.stdout)")
                    }
                }
            }
        }

        /// A multi-platform index (arm64 listed first): the amd64 manifest is
        /// pulled, and the store records the index's digest as the repository's.
        @Test func aMultiPlatformIndexGivesTheAmd64Image() async throws {
            try await withDaemon { daemon in
                try await withRegistry(daemon) { registry in
                    let (amd64, index) = try await registry.putMultiPlatform(
                        "st/multi", tag: "1", scratch: daemon.root)
                    let image = "\(registry.host)/st/multi:1"
                    try await daemon.berthOK(["image", "pull", "--progress", "plain", image])
                    let inspected = try await daemon.berthOK(["image", "inspect", image])
                    // `docker image inspect`'s shape: the amd64 entry's config, the index's digest.
                    let objects =
                        try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [[String: Any]]
                    #expect(objects?.first?["Architecture"] as? String == "amd64", "\(inspected.stdout) (\(amd64))")
                    #expect(inspected.stdout.contains("st/multi@\(index)"), "\(inspected.stdout)")
                    #expect(registry.requests(containing: "GET /v2/st/multi/manifests/\(amd64)") == 1)
                    let arm = try await daemon.berth(["image", "pull", "--platform", "linux/s390x", image])
                    #expect(arm.status != 0)
                    #expect(arm.stderr.contains("arm64") && arm.stderr.contains("amd64"), "\(arm.stderr)")
                }
            }
        }

        /// A corrupted byte in the layer: the pull fails naming the layer and
        /// the store holds nothing new (no blob, no layer, nothing staged).
        /// A connection dropped mid-layer and a 429: the pull goes on and the image runs.
        @Test func faultsOnTheWayLeaveNothingOrRecover() async throws {
            try await withDaemon { daemon in
                try await withRegistry(daemon) { registry in
                    try await registry.put(busyboxAs: "st/faulty", tag: "1")
                    let manifest = try await registry.rawManifest(of: "st/faulty", tag: "1")
                    let layer = try #require(Self.digests(in: manifest).last)
                    let corrupting = try await TestFaultProxy(
                        in: daemon.root, upstream: registry.host, faults: ["--corrupt", layer])
                    let bad = try await daemon.berth(["image", "pull", "\(corrupting.host)/st/faulty:1"])
                    corrupting.stop()
                    #expect(bad.status != 0)
                    #expect(bad.stderr.contains(layer), "\(bad.stderr)")
                    let blobs = try FileManager.default.contentsOfDirectory(
                        atPath: daemon.root + "/images/blobs/sha256")
                    #expect(!blobs.contains(String(layer.dropFirst(7))), "\(blobs)")
                    let layers = try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/layers")
                    #expect(layers.isEmpty, "\(layers)")
                    let staged = try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/images/tmp")
                    #expect(staged.isEmpty, "\(staged)")

                    let flaky = try await TestFaultProxy(
                        in: daemon.root, upstream: registry.host, faults: ["--drop-after", "100000", "--too-many", "1"])
                    defer { flaky.stop() }
                    let image = "\(flaky.host)/st/faulty:1"
                    try await daemon.berthOK(["image", "pull", "--progress", "plain", image])
                    #expect(flaky.requests(containing: "blobs/\(layer) range=bytes=") == 1, "resumed with a Range")
                    // The resumed layer unpacked whole: busybox is there, and its digest is the registry's.
                    let unpacked = try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/layers")
                    #expect(unpacked.contains { access(daemon.root + "/layers/\($0)/bin/busybox", X_OK) == 0 })
                    let inspected = try await daemon.berthOK(["image", "inspect", image])
                    let digest = try await registry.digest(of: "st/faulty", tag: "1")
                    #expect(inspected.stdout.contains(digest), "\(inspected.stdout)")
                }
            }
        }

        /// An unknown tag or repository: one line naming the registry, the
        /// repository, the tag and what the registry said; exit 1; nothing stored.
        @Test func aDiskThatFillsDuringAPullLeavesNothingHalfWritten() async throws {
            try await withDaemon(start: false) { daemon in
                // The image store's blobs and writes in progress on a 2 MiB
                // disk; the image's one layer is 6 MiB of noise.
                let images = daemon.root + "/images"
                try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
                let mounted = try await run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", images])
                guard mounted.status == 0 else { throw TestFailure("mount tmpfs: \(mounted.stderr)") }
                do {
                    try await daemon.start()
                    try await withRegistry(daemon) { registry in
                        let layout = daemon.root + "/big-layout"
                        let made = try await run(["python3", "-c", Self.bigImage, layout])
                        guard made.status == 0 else { throw TestFailure("making the image: \(made.stderr)") }
                        let copied = try await run([
                            "skopeo", "copy", "--dest-tls-verify=false", "oci:\(layout):1",
                            "docker://\(registry.host)/st/big:1",
                        ])
                        guard copied.status == 0 else { throw TestFailure("skopeo copy: \(copied.stderr)") }
                        let before = try Self.usedBytes(images)
                        let pull = try await daemon.berth(["image", "pull", "\(registry.host)/st/big:1"])
                        #expect(pull.status != 0)
                        // The progress lines, then the error: one line that says what filled.
                        let line =
                            pull.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                            .split(separator: "\n").last.map(String.init) ?? ""
                        #expect(line.lowercased().contains("no space left"), "\(pull.stderr)")
                        #expect(line.contains("st/big"), "names the image: \(pull.stderr)")
                        #expect(!pull.stderr.contains("Fatal error"), "\(pull.stderr)")
                        // Nothing half-written stays: the disk is as full as before, no layer was kept.
                        let after = try Self.usedBytes(images)
                        #expect(after <= before + 64 * 1024, "\(after - before) bytes left behind")
                        let layers =
                            (try? FileManager.default.contentsOfDirectory(atPath: daemon.root + "/layers")) ?? []
                        #expect(layers.isEmpty, "layers left: \(layers)")
                        let listed = try await daemon.berthOK(["image", "ls", "-q"])
                        #expect(listed.stdout.isEmpty, "\(listed.stdout)")
                    }
                } catch {
                    await daemon.stop()
                    _ = try? await run(["umount", "-l", images])
                    throw error
                }
                await daemon.stop()
                _ = try await run(["umount", "-l", images])
            }
        }

        /// Bytes in use on the file system that holds `path`.
        static func usedBytes(_ path: String) throws -> Int {
            var stats = statvfs()
            guard statvfs(path, &stats) == 0 else { throw TestFailure("statvfs \(path): \(errno)") }
            return Int(stats.f_blocks - stats.f_bfree) * Int(stats.f_frsize)
        }

        /// An OCI layout (argv[1]) holding `1`: one uncompressed layer with a
        /// 6 MiB file of noise.
        static let bigImage = #"""
            import hashlib, io, json, os, sys, tarfile
            d = sys.argv[1]
            os.makedirs(d + "/blobs/sha256", exist_ok=True)
            def blob(b):
                h = hashlib.sha256(b).hexdigest()
                open(f"{d}/blobs/sha256/{h}", "wb").write(b)
                return "sha256:" + h
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as t:
                data = os.urandom(6 * 1024 * 1024)
                info = tarfile.TarInfo("big.bin")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            layer = buf.getvalue()
            ld = blob(layer)
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                                 "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode()
            cd = blob(config)
            manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": len(layer)}]}).encode()
            md = blob(manifest)
            json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": md, "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1"}}]},
                open(d + "/index.json", "w"))
            open(d + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
            """#

        @Test func unknownTagOrRepositoryIsOneClearLine() async throws {
            try await withDaemon { daemon in
                try await withRegistry(daemon) { registry in
                    try await registry.put(busyboxAs: "st/known", tag: "1")
                    let tag = try await daemon.berth(["image", "pull", "\(registry.host)/st/known:nope"])
                    #expect(tag.status != 0)
                    let line =
                        tag.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                        .split(separator: "\n").last.map(String.init) ?? ""
                    for part in [registry.host, "st/known", "nope", "MANIFEST_UNKNOWN"] {
                        #expect(line.contains(part), "missing \(part): \(tag.stderr)")
                    }
                    let repository = try await daemon.berth(["image", "pull", "\(registry.host)/st/unknown:1"])
                    #expect(repository.status != 0)
                    #expect(repository.stderr.contains("st/unknown"), "\(repository.stderr)")
                    #expect(!repository.stderr.contains("Fatal error"))
                    let images = try await daemon.berthOK(["image", "ls", "-q"])
                    #expect(images.stdout.isEmpty, "\(images.stdout)")
                }
            }
        }

        /// htpasswd Basic auth: refused without a login, a wrong password is
        /// one clear line, `login --password-stdin` writes config.json 0600
        /// as docker does, and then the pull works; `logout` forgets it.
        @Test func basicAuthLoginThenPull() async throws {
            try await withDaemon { daemon in
                let htpasswd = daemon.root + "/htpasswd"
                let made = try await run(["htpasswd", "-Bbc", htpasswd, "berth", "s3cret"])
                try #require(made.status == 0, "\(made.stderr)")
                // skopeo writes with its own credentials.
                try await withRegistry(daemon, htpasswd: htpasswd) { registry in
                    try await registry.put(busyboxAs: "st/private", tag: "1", credentials: "berth:s3cret")
                    let image = "\(registry.host)/st/private:1"
                    let refused = try await daemon.berth(["image", "pull", image])
                    #expect(refused.status != 0)
                    #expect(refused.stderr.contains("berth login"), "\(refused.stderr)")

                    let wrong = try await daemon.berth(
                        ["login", "-u", "berth", "--password-stdin", registry.host], input: "wrong\n")
                    #expect(wrong.status != 0)
                    #expect(wrong.stderr.contains(registry.host), "\(wrong.stderr)")
                    #expect(wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")

                    let login = try await daemon.berth(
                        ["login", "-u", "berth", "--password-stdin", registry.host], input: "s3cret\n")
                    try #require(login.status == 0, "\(login.stderr)\n\(daemon.logTail())")
                    #expect(login.stdout.contains("Login Succeeded"), "\(login.stdout)")
                    let config = daemon.root + "/.docker/config.json"
                    var status = stat()
                    #expect(stat(config, &status) == 0 && status.st_mode & 0o777 == 0o600)
                    let text = (try? String(contentsOfFile: config, encoding: .utf8)) ?? ""
                    #expect(text.contains(registry.host) && text.contains("\"auth\""), "\(text)")
                    try await daemon.berthOK(["image", "pull", image])

                    try await daemon.berthOK(["logout", registry.host])
                    let after = (try? String(contentsOfFile: config, encoding: .utf8)) ?? ""
                    #expect(!after.contains(registry.host), "\(after)")
                }
            }
        }

        /// Bearer tokens from a token server: `login` fetches one as docker
        /// does, `up` pulls with one token per repository, `push` with pull,push.
        @Test func bearerTokenLoginPullAndPush() async throws {
            try await withDaemon { daemon in
                let tokens = try await TestTokenServer(in: daemon.root, user: "berth:t0ken")
                defer { tokens.stop() }
                try await withRegistry(daemon, token: tokens) { registry in
                    try await registry.put(busyboxAs: "st/app", tag: "1", credentials: "berth:t0ken")
                    let refused = try await daemon.berth(["image", "pull", "\(registry.host)/st/app:1"])
                    #expect(refused.status != 0)
                    let wrong = try await daemon.berth(
                        ["login", "-u", "berth", "--password-stdin", registry.host], input: "nope\n")
                    #expect(wrong.status != 0 && wrong.stderr.contains(registry.host), "\(wrong.stderr)")
                    let login = try await daemon.berth(
                        ["login", "-u", "berth", "--password-stdin", registry.host], input: "t0ken\n")
                    try #require(login.status == 0, "\(login.stderr)\n\(daemon.logTail())")
                    let before = tokens.requests(containing: "GET repository:st/app:pull user=berth")
                    let directory = try writeProject(
                        daemon,
                        """
                        name: token\(daemon.prefix.dropFirst(5))
                        services:
                          app: {image: "\(registry.host)/st/app:1", command: ["true"]}
                        """)
                    try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                    #expect(
                        tokens.requests(containing: "GET repository:st/app:pull user=berth") - before == 1,
                        "one token for the manifest, the config and the layer")
                    let copy = "\(registry.host)/st/copy:1"
                    try await daemon.berthOK(["image", "tag", "\(registry.host)/st/app:1", copy])
                    try await daemon.berthOK(["image", "push", copy])
                    let pushed = try await registry.digest(of: "st/copy", tag: "1", credentials: "berth:t0ken")
                    #expect(pushed.hasPrefix("sha256:"))
                    try await daemon.berthOK(["down"], in: directory)
                }
            }
        }

        /// A tag that moved: `up --pull always` fetches the new digest and
        /// recreates the service, as docker compose does.
        @Test func aMovedTagRecreatesTheServiceOnUpPullAlways() async throws {
            try await withDaemon { daemon in
                try await withRegistry(daemon) { registry in
                    try await registry.put(busyboxAs: "st/moving", tag: "latest")
                    let directory = try writeProject(
                        daemon,
                        """
                        name: moved\(daemon.prefix.dropFirst(5))
                        services:
                          app:
                            image: \(registry.host)/st/moving
                            init: true
                            command: ["sleep", "600"]
                        """)
                    try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                    let first = try await Self.madeAs(daemon, directory)
                    // Unchanged tag: `--pull always` pulls, nothing is recreated.
                    try await daemon.berthOK(["up", "-d", "--pull", "always", "--progress", "plain"], in: directory)
                    #expect(try await Self.madeAs(daemon, directory) == first)
                    // The tag moves (the same content as a docker manifest: another digest).
                    try await registry.put(busyboxAs: "st/moving", tag: "latest", dockerFormat: true)
                    try await daemon.berthOK(["up", "-d", "--pull", "always", "--progress", "plain"], in: directory)
                    #expect(try await Self.madeAs(daemon, directory) != first)
                    let never = try await daemon.berth(["up", "-d", "--pull", "sometimes"], in: directory)
                    #expect(never.status != 0)
                    try await daemon.berthOK(["down"], in: directory)
                }
            }
        }

        /// The service's container as made: when, and from which image digest
        /// (its id is its name, which a recreate keeps).
        static func madeAs(_ daemon: TestDaemon, _ directory: String) async throws -> String {
            let ps = try await daemon.berthOK(["ps", "--format", "json"], in: directory)
            let container = try psJSON(ps.stdout).first
            let labels = container?["Labels"] as? [String: Any]
            return "\(container?["Created"] ?? "") \(labels?["com.docker.compose.image"] ?? "")"
        }

        static func digests(in manifest: String) -> [String] {
            manifest.components(separatedBy: "\"digest\":\"").dropFirst().compactMap { $0.split(separator: "\"").first }
                .map(String.init)
        }
    }
}
