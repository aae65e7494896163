import Foundation
import Glibc
import TestSupport
import Testing

extension SystemTests {
    /// The demo stack of examples/demo as a user runs it: `up --wait`, the api
    /// reaching the web service by name, the published ports answering, health
    /// in `ps`, a no-op second `up`, an edit recreating one service, `down`
    /// leaving the volume, `down -v` taking it.
    @Suite(.serialized) struct DemoStackTests {
        @Test func demoStackLifecycle() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let project = try await copyExample("demo", into: daemon)
                let webPort = freePort()
                let apiPort = freePort()
                let env = ["WEB_PORT": "\(webPort)", "API_PORT": "\(apiPort)"]
                let name = "demo" + daemon.prefix.dropFirst(5)
                let p = ["-p", name]

                try await daemon.berthOK(
                    p + ["up", "--wait", "--wait-timeout", "60", "--progress", "plain"], in: project, environment: env)

                let page = try await curl("http://127.0.0.1:\(webPort)/")
                #expect(page?.contains("Hello from Berth") == true, "web answered \(String(describing: page))")
                let api = try await curl("http://127.0.0.1:\(apiPort)/cgi-bin/status")
                #expect(
                    api?.contains("web answered") == true && api?.contains("Hello from Berth") == true,
                    "api answered \(String(describing: api))")

                // The embedded DNS, asked from the host on the network's gateway.
                let networks = try await daemon.berthOK(["network", "inspect", "\(name)_default"])
                let parsed = try JSONSerialization.jsonObject(with: Data(networks.stdout.utf8)) as? [[String: Any]]
                let gateway = parsed?.first?["gateway"] as? String ?? ""
                let dig = try await run(["dig", "+short", "+time=2", "+tries=1", "@\(gateway)", "web"])
                let webAddress =
                    try psJSON(
                        try await daemon.berthOK(p + ["ps", "--format", "json"], in: project, environment: env).stdout
                    )
                    .first { $0["Service"] as? String == "web" }?["Networks"] as? [String: String]
                #expect(
                    dig.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == webAddress?["\(name)_default"],
                    "dig @\(gateway) web: \(dig.stdout) \(dig.stderr)")

                let ps = try psJSON(
                    try await daemon.berthOK(p + ["ps", "-a", "--format", "json"], in: project, environment: env).stdout
                )
                let health = Dictionary(
                    uniqueKeysWithValues: ps.map { ($0["Service"] as? String ?? "", $0["Health"] as? String ?? "") })
                #expect(health["web"] == "healthy")
                #expect(health["api"] == "healthy")
                let created = Dictionary(
                    uniqueKeysWithValues: ps.map { ($0["Service"] as? String ?? "", $0["Created"] as? Double ?? 0) })

                // A second `up` creates, recreates and stops nothing, and leaves
                // the running services alone. As docker compose does, it runs
                // the exited one-shot `seed` again.
                let again = try await daemon.berthOK(
                    p + ["up", "-d", "--progress", "plain"], in: project, environment: env)
                for word in ["Creat", "Recreat", "Stop", "Remov", "web-1  Start", "api-1  Start"] {
                    #expect(!again.stderr.contains(word), "second up acted (\(word)): \(again.stderr)")
                }

                // Editing one service recreates it alone.
                let file = project + "/compose.yaml"
                let text = try String(contentsOfFile: file, encoding: .utf8)
                try text.replacingOccurrences(
                    of: "UPSTREAM: http://web/", with: "UPSTREAM: http://web/\n      EDITED: \"1\""
                )
                .write(toFile: file, atomically: true, encoding: .utf8)
                try await daemon.berthOK(p + ["up", "-d", "--progress", "plain"], in: project, environment: env)
                let after = try psJSON(
                    try await daemon.berthOK(p + ["ps", "-a", "--format", "json"], in: project, environment: env).stdout
                )
                let createdAfter = Dictionary(
                    uniqueKeysWithValues: after.map {
                        ($0["Service"] as? String ?? "", $0["Created"] as? Double ?? 0)
                    })
                #expect(createdAfter["api"] != created["api"], "api was not recreated")
                #expect(createdAfter["web"] == created["web"], "web was recreated")
                #expect(createdAfter["seed"] == created["seed"], "seed was recreated")

                // `down` keeps the named volume and its data.
                try await daemon.berthOK(p + ["down", "--progress", "plain"], in: project, environment: env)
                let left = try await daemon.berthOK(p + ["ps", "-a", "-q"], in: project, environment: env)
                #expect(left.stdout.isEmpty, "containers left: \(left.stdout)")
                // The veths go with the containers' namespaces, in the kernel's own time.
                let clean = try await eventually(within: 60) { await daemon.leftovers().isEmpty }
                let onHost = await daemon.leftovers()
                #expect(clean, "host not clean after down: \(onHost)")
                let volumes = try await daemon.berthOK(["volume", "inspect", "\(name)_site"])
                let mountpoint =
                    (try JSONSerialization.jsonObject(with: Data(volumes.stdout.utf8)) as? [[String: Any]])?
                    .first?["mountpoint"] as? String ?? ""
                let kept = (try? String(contentsOfFile: mountpoint + "/index.html", encoding: .utf8)) ?? ""
                #expect(kept.contains("Hello from Berth"), "volume lost its data: \(mountpoint)")

                try await daemon.berthOK(p + ["down", "-v", "--progress", "plain"], in: project, environment: env)
                let gone = try await daemon.berthOK(["volume", "ls", "-q"])
                #expect(!gone.stdout.contains("\(name)_site"))
            }
        }
    }
}
