import Foundation
import TestSupport
import Testing

/// An HTTP server on an address of the host that is not loopback: a /32 of
/// 198.18.0.0/15 (the benchmarking range, never routed off the machine) on
/// a link of its own (an empty bridge: the test kernels lack the dummy
/// driver), python's http.server bound to it serving `files`. Taken down
/// however the body ends.
private func withHostServer(
    _ daemon: TestDaemon, files: [String: String], _ body: (String) async throws -> Void
) async throws {
    let link = "bt" + String(UInt32.random(in: 0x10_0000...0xFF_FFFF), radix: 16)
    let used = try await run(["ip", "-o", "addr", "show"]).stdout
    var address = ""
    for _ in 0..<100 {
        let candidate = "198.\(UInt8.random(in: 18...19)).\(UInt8.random(in: 1...254)).\(UInt8.random(in: 1...254))"
        if !used.contains(" \(candidate)/") {
            address = candidate
            break
        }
    }
    let served = daemon.root + "/served-" + link
    try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
    for (name, content) in files { try content.write(toFile: served + "/" + name, atomically: true, encoding: .utf8) }
    for command in [
        ["ip", "link", "add", link, "type", "bridge"], ["ip", "addr", "add", address + "/32", "dev", link],
    ] {
        let made = try await run(command)
        if made.status != 0 { _ = try? await run(["ip", "link", "del", link]) }
        try #require(made.status == 0, "\(command.joined(separator: " ")): \(made.stderr)")
    }
    var server: pid_t = 0
    do {
        try #require(try await run(["ip", "link", "set", link, "up"]).status == 0)
        let port = freePort()
        server = try spawn(
            ["/usr/bin/python3", "-m", "http.server", "--bind", address, "--directory", served, String(port)],
            log: daemon.root + "/http-" + link + ".log")
        let url = "http://\(address):\(port)"
        let up = try await eventually(within: 60) { try await curl(url + "/") != nil }
        try #require(up, "the server on \(url) never answered")
        try await body(url)
    } catch {
        if server > 0 { kill(server, SIGKILL); waitpid(server, nil, 0) }
        _ = try? await run(["ip", "link", "del", link])
        throw error
    }
    kill(server, SIGKILL)
    waitpid(server, nil, 0)
    _ = try? await run(["ip", "link", "del", link])
}

/// A context directory holding only `dockerfile`, under the daemon's root.
private func dockerfileContext(_ daemon: TestDaemon, _ dockerfile: String) throws -> String {
    let directory = daemon.root + "/netctx\(UInt16.random(in: 1000...9999))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try dockerfile.write(toFile: directory + "/Dockerfile", atomically: true, encoding: .utf8)
    return directory
}

/// The content of `path` in an image of the daemon's store, as the image's
/// layers give it (the topmost layer that has the file), read with tar.
private func fileInImage(_ daemon: TestDaemon, _ reference: String, _ path: String) async throws -> String? {
    let images = daemon.root + "/images"
    let blob = { (digest: String) in images + "/blobs/sha256/" + digest.dropFirst(7) }
    let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: images + "/index.json")))
    let manifests = (index as? [String: Any])?["manifests"] as? [[String: Any]] ?? []
    guard
        let entry = manifests.first(where: {
            ($0["annotations"] as? [String: String])?["io.containerd.image.name"] == "docker.io/library/" + reference
        }), let digest = entry["digest"] as? String
    else { throw TestFailure("no image \(reference) in \(images)/index.json") }
    let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: blob(digest))))
    let layers = ((manifest as? [String: Any])?["layers"] as? [[String: Any]] ?? []).compactMap {
        $0["digest"] as? String
    }
    for layer in layers.reversed() {
        let read = try await run(["tar", "-xOf", blob(layer), path])
        if read.status == 0 { return read.stdout }
    }
    return nil
}

/// The host's veths of this daemon and the build's network namespaces: a
/// finished step leaves none.
private func stepLeftovers(_ daemon: TestDaemon) async throws -> [String] {
    let veths = try await run(["ip", "-o", "link", "show", "type", "veth"]).stdout
    let names = veths.split(separator: "\n").compactMap { line -> String? in
        let fields = line.split(separator: ":")
        guard fields.count > 1 else { return nil }
        let name = fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
        return name.hasPrefix(daemon.prefix) ? name : nil
    }
    let namespaces = (try? FileManager.default.contentsOfDirectory(atPath: daemon.root + "/build/netns")) ?? []
    return names + namespaces.map { "netns " + $0 }
}

extension SystemTests {
    /// `RUN` reaches the network as under `docker build`: through the build
    /// network with masquerade by default, loopback only with
    /// `--network=none`, the host's with `--network=host`. The far side is
    /// a server on an address of this host, so nothing leaves the machine.
    @Suite struct BuildNetworkTests {
        @Test func aRunFetchesFromTheHostAndLeavesNoVeth() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                try await withHostServer(daemon, files: ["file.txt": "reached\n"]) { url in
                    let context = try dockerfileContext(
                        daemon,
                        """
                        FROM busybox
                        RUN timeout 5 wget -q -O - \(url)/file.txt > /out && cat /etc/resolv.conf > /resolv \\
                            && cat /etc/hosts > /hosts
                        RUN --network=host timeout 5 wget -q -O - \(url)/file.txt > /out-host
                        """)
                    try await daemon.berthOK(["image", "build", "-t", "net:1", "--progress", "plain", context])
                    #expect(try await fileInImage(daemon, "net:1", "out") == "reached\n")
                    #expect(try await fileInImage(daemon, "net:1", "out-host") == "reached\n")
                    // docker's rule for its default bridge: the host's IPv4
                    // nameservers but loopback ones, else Google's.
                    let host = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
                    var expected = host.split(separator: "\n").filter { line in
                        line.hasPrefix("nameserver ") && !line.contains(" 127.") && !line.contains(":")
                    }.map(String.init)
                    if expected.isEmpty { expected = ["nameserver 8.8.8.8", "nameserver 8.8.4.4"] }
                    let resolv = try await fileInImage(daemon, "net:1", "resolv") ?? ""
                    let servers = resolv.split(separator: "\n").filter { $0.hasPrefix("nameserver ") }.map(String.init)
                    #expect(servers == expected, "\(resolv)")
                    let hosts = try await fileInImage(daemon, "net:1", "hosts") ?? ""
                    #expect(hosts.contains("127.0.0.1\tlocalhost"), "\(hosts)")
                    // The step's own address, from the daemon's pool (10.214.x.y).
                    #expect(hosts.contains("\tbuildkitsandbox"), "\(hosts)")
                    #expect(hosts.split(separator: "\n").contains { $0.hasPrefix("10.214.") }, "\(hosts)")
                    #expect(try await eventually(within: 60) { try await stepLeftovers(daemon).isEmpty })
                }
            }
        }

        @Test func independentStagesRunSideBySideOnTheNetwork() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                try await withHostServer(daemon, files: ["a.txt": "from a\n", "b.txt": "from b\n"]) { url in
                    // Both stages' first RUN may make the build network at once.
                    let context = try dockerfileContext(
                        daemon,
                        """
                        FROM busybox AS a
                        RUN timeout 5 wget -q -O - \(url)/a.txt > /a
                        FROM busybox AS b
                        RUN timeout 5 wget -q -O - \(url)/b.txt > /b
                        FROM scratch
                        COPY --from=a /a /
                        COPY --from=b /b /
                        """)
                    try await daemon.berthOK(["image", "build", "-t", "stages:1", "--progress", "plain", context])
                    #expect(try await fileInImage(daemon, "stages:1", "a") == "from a\n")
                    #expect(try await fileInImage(daemon, "stages:1", "b") == "from b\n")
                    #expect(try await eventually(within: 60) { try await stepLeftovers(daemon).isEmpty })
                }
            }
        }

        @Test func aRunWithoutNetworkFailsNamingItsStep() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                try await withHostServer(daemon, files: ["file.txt": "reached\n"]) { url in
                    let context = try dockerfileContext(
                        daemon, "FROM busybox\nRUN --network=none timeout 5 wget -q -O - \(url)/file.txt > /out\n")
                    let failed = try await daemon.berth([
                        "image", "build", "-t", "offline:1", "--progress", "plain", context,
                    ])
                    #expect(failed.status != 0)
                    #expect(
                        failed.stderr.contains("Dockerfile:2: RUN --network=none timeout 5 wget"), "\(failed.stderr)")
                    #expect(failed.stderr.contains("exit code"), "\(failed.stderr)")
                    #expect(try await eventually(within: 60) { try await stepLeftovers(daemon).isEmpty })
                    let images = try await daemon.berthOK(["image", "ls"])
                    #expect(!images.stdout.contains("offline"), "\(images.stdout)")
                    // A step that fails on the bridge leaves nothing either.
                    let bridged = try dockerfileContext(daemon, "FROM busybox\nRUN echo on the bridge; exit 3\n")
                    let bad = try await daemon.berth(["image", "build", "-t", "bad:1", bridged])
                    #expect(bad.status != 0 && bad.stderr.contains("exit code 3"), "\(bad.stderr)")
                    #expect(try await eventually(within: 60) { try await stepLeftovers(daemon).isEmpty })
                }
            }
        }

        @Test func aCancelledRunLeavesNoVethOrNamespace() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let context = try dockerfileContext(daemon, "FROM busybox\nRUN echo started; sleep 60\n")
                let log = daemon.root + "/client.log"
                let client = try daemon.spawnBerth(
                    ["image", "build", "-t", "slow:1", "--progress", "plain", context], log: log)
                let running = try await eventually(within: 20) {
                    ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("#2 started")
                }
                #expect(running, "the RUN step never started")
                #expect(try await !stepLeftovers(daemon).isEmpty, "the running step has its veth and namespace")
                kill(client, SIGTERM)
                waitpid(client, nil, 0)
                let gone = try await eventually(within: 20) { try await stepLeftovers(daemon).isEmpty }
                let left = try await stepLeftovers(daemon)
                #expect(gone, "left after the cancel: \(left)")
            }
        }
    }
}
