import Foundation
import TestSupport
import Testing

/// A directory of files for a build, under the daemon's root.
func writeContext(_ daemon: TestDaemon, _ files: [String: String]) throws -> String {
    let directory = daemon.root + "/ctx\(UInt16.random(in: 1000...9999))"
    for (name, content) in files {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }
    return directory
}

/// The layer tars of an image in the daemon's store, lowest first, read
/// from the store's OCI layout (index → manifest → layers).
func layerBlobs(_ daemon: TestDaemon, _ reference: String) throws -> [String] {
    let images = daemon.root + "/images"
    let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: images + "/index.json")))
    let manifests = (index as? [String: Any])?["manifests"] as? [[String: Any]] ?? []
    guard
        let entry = manifests.first(where: {
            ($0["annotations"] as? [String: String])?["io.containerd.image.name"] == "docker.io/library/" + reference
        }), let digest = entry["digest"] as? String
    else { throw TestFailure("no image \(reference) in \(images)/index.json") }
    let blob = { (digest: String) in images + "/blobs/sha256/" + digest.dropFirst(7) }
    let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: blob(digest))))
    let layers = (manifest as? [String: Any])?["layers"] as? [[String: Any]] ?? []
    return layers.compactMap { ($0["digest"] as? String).map(blob) }
}

/// The names in a layer tar, as GNU tar lists them.
func tarNames(_ path: String) async throws -> [String] {
    let listed = try await run(["tar", "-tf", path])
    guard listed.status == 0 else { throw TestFailure("tar -tf \(path): \(listed.stderr)") }
    return listed.stdout.split(separator: "\n").map(String.init)
}

/// `#N CACHED` and `#N DONE` lines of a `--progress plain` build: how many steps ran, how many came from the cache.
func counts(_ output: String) -> (ran: Int, cached: Int) {
    let lines = output.split(separator: "\n")
    return (
        lines.filter { $0.contains(" DONE ") }.count - lines.filter { $0.contains("] FROM ") }.count,
        lines.filter { $0.hasSuffix(" CACHED") }.count
    )
}

extension SystemTests {
    /// `berth image build` and `berth build` end to end: real RUN steps in
    /// crun, layers in the store, the cache across builds.
    @Suite struct BuildTests {
        static let multiStage = """
            FROM busybox AS build
            WORKDIR /src
            COPY a.txt b.txt ./
            RUN cat a.txt b.txt > out.txt && echo built
            FROM scratch
            COPY --from=build /src/out.txt /out.txt
            """

        @Test func multiStageBuildsThenRebuildsOnlyWhatChanged() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(
                    daemon, ["Dockerfile": Self.multiStage, "a.txt": "alpha\n", "b.txt": "beta\n"])
                let first = try await daemon.berthOK([
                    "image", "build", "-t", "multi:1", "--progress", "plain", context,
                ])
                #expect(first.stderr.contains("built"), "\(first.stderr)")
                let layers = try layerBlobs(daemon, "multi:1")
                #expect(layers.count == 1)
                let out = try await run(["tar", "-xOf", layers[0], "out.txt"])
                #expect(out.stdout == "alpha\nbeta\n")

                let again = try await daemon.berthOK([
                    "image", "build", "-t", "multi:1", "--progress", "plain", context,
                ])
                #expect(counts(again.stderr).ran == 0, "\(again.stderr)")
                #expect(try layerBlobs(daemon, "multi:1") == layers)

                try "BETA\n".write(toFile: context + "/b.txt", atomically: true, encoding: .utf8)
                let edited = try await daemon.berthOK([
                    "image", "build", "-t", "multi:1", "--progress", "plain", context,
                ])
                let (ran, cached) = counts(edited.stderr)
                #expect(ran == 3 && cached == 1, "ran \(ran), cached \(cached):\n\(edited.stderr)")
                let changed = try await run(["tar", "-xOf", try layerBlobs(daemon, "multi:1")[0], "out.txt"])
                #expect(changed.stdout == "alpha\nBETA\n")
            }
        }

        @Test func imageSettingsReachTheContainerAndIgnoredFilesStayOut() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(
                    daemon,
                    [
                        "Dockerfile": """
                        FROM busybox
                        ENV GREETING=hello
                        WORKDIR /app
                        COPY . .
                        ADD bundle.tar /opt/
                        RUN echo 'worker:x:1234:1234::/app:/bin/sh' >> /etc/passwd && ls -a /app > /app/listing
                        USER worker
                        """,
                        ".dockerignore": "secret.txt\n",
                        "secret.txt": "keep out\n",
                        "kept.txt": "kept\n",
                        "payload/inside.txt": "unpacked\n",
                    ])
                let tar = try await run([
                    "tar", "-cf", context + "/bundle.tar", "-C", context + "/payload", "inside.txt",
                ])
                #expect(tar.status == 0)
                let project = try writeProject(
                    daemon,
                    """
                    name: bs\(daemon.prefix.dropFirst(5))
                    services:
                      app:
                        build: \(context)
                    """)
                try await daemon.berthOK(["build", "--progress", "plain"], in: project)
                // `run` needs the project's network, which `up` makes.
                try await daemon.berthOK(["up", "--no-start", "--progress", "plain"], in: project)
                let seen = try await daemon.berthOK(
                    [
                        "run", "--rm", "-T", "app", "sh", "-c",
                        "id -u; pwd; echo $GREETING; cat listing /opt/inside.txt",
                    ],
                    in: project)
                let lines = seen.stdout.split(separator: "\n").map(String.init)
                #expect(Array(lines.prefix(3)) == ["1234", "/app", "hello"], "\(seen.stdout)")
                #expect(lines.contains("kept.txt") && !lines.contains("secret.txt"), "\(seen.stdout)")
                #expect(lines.contains("unpacked"), "\(seen.stdout)")
                let inspect = try await daemon.berthOK(["image", "inspect", "bs\(daemon.prefix.dropFirst(5))-app"])
                let images = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
                let config = images?.first?["Config"] as? [String: Any]
                #expect(config?["User"] as? String == "worker", "\(inspect.stdout)")
                #expect(config?["WorkingDir"] as? String == "/app")
                #expect((config?["Env"] as? [String])?.contains("GREETING=hello") == true)
                let rootfs = images?.first?["RootFS"] as? [String: Any]
                #expect((rootfs?["Layers"] as? [String])?.count == 5, "\(inspect.stdout)")
                #expect((images?.first?["Id"] as? String)?.hasPrefix("sha256:") == true)
                try await daemon.berthOK(["down"], in: project)
            }
        }

        @Test func aCacheMountKeepsItsFilesAndASecretStaysOutOfEveryLayer() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(
                    daemon,
                    [
                        "Dockerfile": """
                        FROM busybox
                        ARG ROUND=1
                        RUN --mount=type=cache,target=/cache ls /cache > /seen; echo $ROUND > /cache/round-$ROUND
                        RUN --mount=type=secret,id=token test "$(cat /run/secrets/token)" = s3cr3t && echo ok > /ok
                        """
                    ])
                let secret = daemon.root + "/token.txt"
                try "s3cr3t".write(toFile: secret, atomically: true, encoding: .utf8)
                let arguments = ["image", "build", "-t", "mounts:1", "--secret", "id=token,src=" + secret]
                try await daemon.berthOK(arguments + [context])
                try await daemon.berthOK(arguments + ["--build-arg", "ROUND=2", context])
                let layers = try layerBlobs(daemon, "mounts:1")
                let seen = try await run(["tar", "-xOf", layers[layers.count - 2], "seen"])
                #expect(seen.stdout == "round-1\n", "the second build saw: \(seen.stdout)")
                let ok = try await run(["tar", "-xOf", layers[layers.count - 1], "ok"])
                #expect(ok.stdout == "ok\n")
                for layer in layers {
                    let names = try await tarNames(layer)
                    #expect(!names.contains { $0.contains("secrets") }, "\(layer): \(names)")
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: layer))
                    #expect(bytes.range(of: Data("s3cr3t".utf8)) == nil, "the secret is in \(layer)")
                }
            }
        }

        @Test func aFailingRunNamesItsLineAndTagsNothing() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(
                    daemon, ["Dockerfile": "FROM busybox\nRUN echo first\nRUN echo oops; exit 7\n"])
                let failed = try await daemon.berth(["image", "build", "-t", "bad:1", "--progress", "plain", context])
                #expect(failed.status != 0)
                #expect(failed.stderr.contains("Dockerfile:3: RUN echo oops; exit 7: exit code 7"), "\(failed.stderr)")
                #expect(failed.stderr.contains("oops"))
                let images = try await daemon.berthOK(["image", "ls"])
                #expect(!images.stdout.contains("bad"), "\(images.stdout)")
            }
        }

        @Test func aDeletedFileIsAWhiteoutInItsLayer() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(
                    daemon,
                    [
                        "Dockerfile": """
                        FROM busybox
                        RUN mkdir -p /data/keep && echo x > /data/gone && echo y > /data/keep/f && ln /data/keep/f /data/link
                        RUN rm /data/gone && rm -r /data/keep
                        """
                    ])
                try await daemon.berthOK(["image", "build", "-t", "wh:1", context])
                let layers = try layerBlobs(daemon, "wh:1")
                let made = try await tarNames(layers[layers.count - 2])
                #expect(made.contains("data/link"), "\(made)")
                let deleted = try await tarNames(layers[layers.count - 1])
                #expect(deleted.contains("data/.wh.gone") && deleted.contains("data/.wh.keep"), "\(deleted)")
            }
        }

        @Test func upBuildsTwoServicesAndRunsThemBesideAnImageService() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(
                    daemon,
                    [
                        "Dockerfile": """
                        FROM busybox
                        ARG PAGE=page
                        RUN mkdir /www && echo "$PAGE" > /www/index.html
                        EXPOSE 8080
                        CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
                        """
                    ])
                let port = freePort()
                let project = try writeProject(
                    daemon,
                    """
                    name: bu\(daemon.prefix.dropFirst(5))
                    services:
                      web:
                        build:
                          context: \(context)
                          args: {PAGE: from-web}
                        init: true
                        ports: ["127.0.0.1:\(port):8080"]
                      api:
                        build: \(context)
                        init: true
                      plain:
                        image: busybox
                        init: true
                        command: ["sleep", "3600"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: project)
                var body: String?
                let answered = try await eventually(within: 60) {
                    body = try await curl("http://127.0.0.1:\(port)/")
                    return body != nil
                }
                #expect(answered && body == "from-web\n", "\(body ?? "no answer")")
                let ps = try await daemon.berthOK(["ps", "--format", "json"], in: project)
                #expect(try psJSON(ps.stdout).count == 3, "\(ps.stdout)")
                let again = try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: project)
                #expect(
                    !again.stderr.contains("Building"), "an image that is there is not built again: \(again.stderr)")
                let dockerfile = context + "/Dockerfile"
                let text = try String(contentsOfFile: dockerfile, encoding: .utf8)
                try text.replacingOccurrences(of: "echo \"$PAGE\"", with: "echo \"$PAGE v2\"")
                    .write(toFile: dockerfile, atomically: true, encoding: .utf8)
                try await daemon.berthOK(["up", "-d", "--build", "--progress", "plain"], in: project)
                let rebuilt = try await eventually(within: 60) {
                    body = try await curl("http://127.0.0.1:\(port)/")
                    return body == "from-web v2\n"
                }
                #expect(rebuilt, "after up --build: \(body ?? "no answer")")
                try await daemon.berthOK(["down"], in: project)
            }
        }

        @Test func addFetchesAURLAndChecksIt() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let served = daemon.root + "/served"
                try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
                try "fetched\n".write(toFile: served + "/file.txt", atomically: true, encoding: .utf8)
                let port = freePort()
                let server = try spawn(
                    [
                        "/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", served,
                        String(port),
                    ],
                    log: daemon.root + "/http.log")
                defer {
                    kill(server, SIGKILL)
                    waitpid(server, nil, 0)
                }
                _ = try await eventually(within: 60) { try await curl("http://127.0.0.1:\(port)/file.txt") != nil }
                let sum = try await run(["sha256sum", served + "/file.txt"])
                let hex = String(sum.stdout.prefix(64))
                let url = "http://127.0.0.1:\(port)/file.txt"
                let context = try writeContext(
                    daemon,
                    [
                        "Dockerfile": """
                        FROM scratch
                        ADD \(url) /fetched.txt
                        ADD --checksum=sha256:\(hex) \(url) /checked/
                        """
                    ])
                try await daemon.berthOK(["image", "build", "-t", "fetch:1", context])
                let layers = try layerBlobs(daemon, "fetch:1")
                let first = try await run(["tar", "-xOf", layers[0], "fetched.txt"])
                let second = try await run(["tar", "-xOf", layers[1], "checked/file.txt"])
                #expect(first.stdout == "fetched\n" && second.stdout == "fetched\n")
                let wrong = try writeContext(
                    daemon,
                    [
                        "Dockerfile":
                            "FROM scratch\nADD --checksum=sha256:\(String(repeating: "0", count: 64)) \(url) /x\n"
                    ])
                let refused = try await daemon.berth(["image", "build", "-t", "fetch:2", wrong])
                #expect(refused.status != 0 && refused.stderr.contains("Dockerfile:2: ADD"), "\(refused.stderr)")
            }
        }

        @Test func aBaseImageTheStoreLacksIsPulledAndPullPullsAgain() async throws {
            try await withDaemon { daemon in
                try await withRegistry(daemon) { registry in
                    try await BusyboxImage.load(into: daemon)
                    let base = "\(registry.host)/st/base:1"
                    try await daemon.berthOK(["image", "tag", "busybox", base])
                    try await daemon.berthOK(["image", "push", base])
                    try await daemon.berthOK(["image", "rm", base])
                    let context = try writeContext(daemon, ["Dockerfile": "FROM \(base)\nRUN echo built > /built\n"])
                    let manifests = {
                        registry.requests(containing: "GET /v2/st/base/manifests/")
                            + registry.requests(containing: "HEAD /v2/st/base/manifests/")
                    }
                    let before = manifests()
                    try await daemon.berthOK(["image", "build", "-t", "pulled:1", context])
                    #expect(manifests() > before, "the missing base was pulled from the registry")
                    #expect(try await daemon.berth(["image", "inspect", base]).status == 0, "and kept in the store")
                    // In the store now: no registry, unless --pull asks.
                    let kept = manifests()
                    try await daemon.berthOK(["image", "build", "-t", "pulled:2", context])
                    #expect(manifests() == kept)
                    try await daemon.berthOK(["image", "build", "--pull", "-t", "pulled:3", context])
                    #expect(manifests() > kept, "--pull asks the registry again")
                }
            }
        }

        @Test func badInputIsNamed() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(
                    daemon, ["Dockerfile": "FROM busybox AS base\nCOPY missing.txt /\n", "present.txt": "x\n"])
                let missing = try await daemon.berth(["image", "build", "-t", "bad:1", context])
                #expect(missing.status != 0 && missing.stderr.contains("missing.txt"), "\(missing.stderr)")
                let target = try await daemon.berth(["image", "build", "-t", "bad:1", "--target", "bsae", context])
                #expect(target.stderr.contains("did you mean \"base\""), "\(target.stderr)")
                let nowhere = try await daemon.berth(["image", "build", "-t", "bad:1", daemon.root + "/nowhere"])
                #expect(nowhere.stderr.contains("does not exist"), "\(nowhere.stderr)")
                // On a registry that is not there (loopback, closed port): the pull fails at once.
                let noImage = try writeContext(daemon, ["Dockerfile": "FROM 127.0.0.1:9/nosuchimage\nRUN true\n"])
                let unknown = try await daemon.berth(["image", "build", "-t", "bad:1", noImage])
                #expect(unknown.status != 0 && unknown.stderr.contains("nosuchimage"), "\(unknown.stderr)")
            }
        }

        @Test func aCancelledBuildLeavesNoContainerOrMount() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(daemon, ["Dockerfile": "FROM busybox\nRUN echo started; sleep 60\n"])
                // The client with this daemon's environment only, as `daemon.berth` runs it.
                let client = try daemon.spawnBerth(
                    ["image", "build", "-t", "slow:1", "--progress", "plain", context], log: daemon.root + "/client.log"
                )
                let containers = daemon.root + "/containers"
                let running = try await eventually(within: 20) {
                    let log = (try? String(contentsOfFile: daemon.root + "/client.log", encoding: .utf8)) ?? ""
                    return log.contains("#2 started")
                }
                #expect(running, "the RUN step never started")
                // As Ctrl-C ends it on a terminal (SIGINT may be ignored by a process
                // started in the background, so the test ends it with SIGTERM).
                kill(client, SIGTERM)
                waitpid(client, nil, 0)
                let gone = try await eventually(within: 20) {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: containers)) ?? []
                    let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
                    return !names.contains { $0.hasPrefix("berth-build-") } && !mounts.contains(containers)
                }
                let left = (try? FileManager.default.contentsOfDirectory(atPath: containers)) ?? []
                let clientLog = (try? String(contentsOfFile: daemon.root + "/client.log", encoding: .utf8)) ?? ""
                #expect(gone, "the step's container or its rootfs mount is still there: \(left); client: \(clientLog)")
                let images = try await daemon.berthOK(["image", "ls"])
                #expect(!images.stdout.contains("slow"))
            }
        }
    }
}
