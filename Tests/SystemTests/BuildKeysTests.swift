import Foundation
import TestSupport
import Testing

/// `berth image inspect NAME` as JSON: the one image's object.
private func inspect(_ daemon: TestDaemon, _ name: String) async throws -> [String: Any] {
    let output = try await daemon.berthOK(["image", "inspect", name])
    let images = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]]
    guard let image = images?.first else { throw TestFailure("image inspect \(name) printed \(output.stdout)") }
    return image
}

/// `berth system df --format json`: each row by its TYPE.
private func diskUsage(_ daemon: TestDaemon) async throws -> [String: [String: Any]] {
    let output = try await daemon.berthOK(["system", "df", "--format", "json"])
    var rows: [String: [String: Any]] = [:]
    for line in output.stdout.split(separator: "\n") {
        guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let type = row["type"] as? String
        else { throw TestFailure("system df printed a line that is not a row: \(line)") }
        rows[type] = row
    }
    return rows
}

extension SystemTests {
    /// compose's `build:` keys through `berth build`, and the build cache
    /// through `builder prune` and `system df`.
    @Suite struct BuildKeysTests {
        @Test func composeBuildKeysReachTheImageAndTheRestAreWarnedAbout() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let name = "bk\(daemon.prefix.dropFirst(5))"
                let project = try writeProject(
                    daemon,
                    """
                    name: \(name)
                    services:
                      web:
                        build:
                          dockerfile_inline: |
                            FROM base
                            ARG GREETING
                            RUN echo "$${GREETING}" > /greeting && ulimit -Sn > /nofile
                          args: {GREETING: hello}
                          ulimits: {nofile: {soft: 1111, hard: 2222}}
                          labels: {org.example.team: core, org.example.tier: web}
                          tags: ["\(name)-extra:1"]
                          no_cache: true
                          cache_from: [type=local,src=/nowhere]
                          additional_contexts: {base: "docker-image://busybox"}
                    """)
                let first = try await daemon.berthOK(["build", "--progress", "plain"], in: project)
                #expect(
                    first.stderr.contains(
                        "WARN: service web: build.cache_from is not applied: builds use berthd's own cache only"),
                    "\(first.stderr)")
                let image = try await inspect(daemon, "\(name)-web")
                let labels = (image["Config"] as? [String: Any])?["Labels"] as? [String: String]
                #expect(labels?["org.example.team"] == "core" && labels?["org.example.tier"] == "web", "\(image)")
                let extra = try await inspect(daemon, "\(name)-extra:1")
                #expect(extra["Id"] as? String == image["Id"] as? String)
                let layers = try layerBlobs(daemon, "\(name)-extra:1")
                let greeting = try await run(["tar", "-xOf", try #require(layers.last), "greeting"])
                #expect(greeting.stdout == "hello\n")
                // build.ulimits reached the RUN: its shell saw the soft limit.
                let nofile = try await run(["tar", "-xOf", try #require(layers.last), "nofile"])
                #expect(nofile.stdout == "1111\n")

                // no_cache: the RUN runs again on the next build.
                let again = try await daemon.berthOK(["build", "--progress", "plain"], in: project)
                #expect(counts(again.stderr).ran == 1 && counts(again.stderr).cached == 0, "\(again.stderr)")

                // `up` words it the same way.
                let up = try await daemon.berthOK(["up", "--no-start", "--progress", "plain"], in: project)
                #expect(
                    (up.stdout + up.stderr).contains("WARN: service web: build.cache_from is not applied"),
                    "\(up.stdout)\n\(up.stderr)")
                try await daemon.berthOK(["down"], in: project)
            }
        }

        @Test func aComposeBuildSecretIsReadableInRunAndInNoLayer() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let name = "bs\(daemon.prefix.dropFirst(5))"
                let project = try writeProject(
                    daemon,
                    """
                    name: \(name)
                    services:
                      app:
                        build:
                          dockerfile_inline: |
                            FROM busybox
                            RUN --mount=type=secret,id=token --mount=type=secret,id=npm \\
                                test "$$(cat /run/secrets/token)" = s3cr3t-file && \\
                                test "$$(cat /run/secrets/npm)" = s3cr3t-env && echo ok > /ok
                          secrets: [token, {source: npmrc, target: npm}]
                    secrets:
                      token:
                        file: ./token.txt
                      npmrc:
                        environment: NPM_TOKEN
                    """)
                try "s3cr3t-file".write(toFile: project + "/token.txt", atomically: true, encoding: .utf8)
                // Through berthd's own build before `up` (the CLI's `build` shares the request).
                try await daemon.berthOK(
                    ["up", "--build", "--no-start", "--progress", "plain"], in: project,
                    environment: ["NPM_TOKEN": "s3cr3t-env"])
                let layers = try layerBlobs(daemon, "\(name)-app:latest")
                let ok = try await run(["tar", "-xOf", try #require(layers.last), "ok"])
                #expect(ok.stdout == "ok\n")
                for layer in layers {
                    let names = try await tarNames(layer)
                    #expect(!names.contains { $0.contains("secrets") }, "\(layer): \(names)")
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: layer))
                    #expect(bytes.range(of: Data("s3cr3t".utf8)) == nil, "a secret is in \(layer)")
                }
                let left = try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/build")
                #expect(!left.contains { $0.hasPrefix("secrets-") }, "the secrets' files stayed: \(left)")
                try await daemon.berthOK(["down"], in: project)
            }
        }

        @Test func builderPruneAllEmptiesTheCacheSoTheNextBuildRunsEveryStep() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try writeContext(
                    daemon,
                    [
                        "Dockerfile": """
                        FROM busybox
                        RUN head -c 200000 /dev/zero > /zeros
                        RUN echo second > /second
                        """
                    ])
                let build = ["image", "build", "-t", "pruned:1", "--progress", "plain", context]
                try await daemon.berthOK(build)
                let before = try await diskUsage(daemon)
                let cacheBefore = try #require(before["Build Cache"])
                #expect(cacheBefore["total"] as? Int == 2, "\(cacheBefore)")
                let sizeBefore = try #require(cacheBefore["size"] as? Int)
                #expect(sizeBefore >= 200_000, "\(cacheBefore)")

                let table = try await daemon.berthOK(["system", "df"])
                let lines = table.stdout.split(separator: "\n").map(String.init)
                #expect(lines.first == "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE", "\(table.stdout)")
                #expect(
                    lines.map { String($0.prefix(16)) }
                        == [
                            "TYPE            ", "Images          ", "Containers      ", "Local Volumes   ",
                            "Build Cache     ",
                        ], "\(table.stdout)")

                // Asked, and answered no: nothing goes.
                let declined = try await daemon.berth(["builder", "prune", "-a"], input: "n\n")
                #expect(declined.status == 0)
                #expect(declined.stderr.contains("Are you sure you want to continue? [y/N]"), "\(declined.stderr)")
                #expect(try await diskUsage(daemon)["Build Cache"]?["total"] as? Int == 2)

                let badSize = try await daemon.berth(["builder", "prune", "-f", "--keep-storage", "lots"])
                #expect(badSize.status != 0 && badSize.stderr.contains("--keep-storage lots"), "\(badSize.stderr)")
                // A floor above what the cache holds keeps it all.
                let kept = try await daemon.berthOK(["builder", "prune", "-af", "--keep-storage", "1GB"])
                #expect(kept.stdout == "Total reclaimed space: 0B\n", "\(kept.stdout)")
                #expect(try await diskUsage(daemon)["Build Cache"]?["total"] as? Int == 2)

                let pruned = try await daemon.berthOK(["builder", "prune", "-af"])
                #expect(pruned.stdout.hasPrefix("Total reclaimed space: "), "\(pruned.stdout)")
                let cacheAfter = try #require(try await diskUsage(daemon)["Build Cache"])
                #expect(cacheAfter["total"] as? Int == 0 && cacheAfter["size"] as? Int == 0, "\(cacheAfter)")

                let again = try await daemon.berthOK(build)
                #expect(counts(again.stderr).ran == 2 && counts(again.stderr).cached == 0, "\(again.stderr)")
            }
        }
    }
}
