import Foundation
import Glibc
import Testing

extension SystemTests {
    /// Networks, the embedded DNS and published ports of a whole stack, checked
    /// with real clients: nslookup, wget and nc inside busybox containers, dig
    /// and curl from the host, and dnsmasq on loopback as the host's resolver.
    @Suite struct NetworkingTests {
        func address(_ daemon: TestDaemon, _ directory: String, _ service: String, on network: String) async throws
            -> String?
        {
            let ps = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
            return (ps.first { $0["Service"] as? String == service }?["Networks"] as? [String: String])?[network]
        }

        @Test func namesAnswerPerNetworkAndNetworksAreApart() async throws {
            // dnsmasq on a loopback address stands in for the host's resolver.
            let upstream = "127.0.\(UInt8.random(in: 1...250)).53"
            try await withDaemon(start: false) { daemon in
                let conf = daemon.root + "/resolv.conf"
                try "nameserver \(upstream)\n".write(toFile: conf, atomically: true, encoding: .utf8)
                let dnsmasq = try spawn(
                    [
                        "/usr/sbin/dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                        "--listen-address=\(upstream)", "--port=53", "--address=/upstream.test/10.9.8.7",
                        "--pid-file=\(daemon.root)/dnsmasq.pid", "--user=root",
                    ],
                    log: daemon.root + "/dnsmasq.log")
                defer {
                    kill(dnsmasq, SIGTERM)
                    var status: Int32 = 0
                    waitpid(dnsmasq, &status, 0)
                }
                try await daemon.start(["--resolv-conf", conf])
                try await BusyboxImage.load(into: daemon)
                let name = "net\(daemon.prefix.dropFirst(5))"
                let port = freePort()
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(name)
                    services:
                      web:
                        image: busybox
                        init: true
                        command: ["sh", "-c", "echo hello-web > /tmp/index.html; httpd -f -p 80 -h /tmp"]
                        networks:
                          front: {}
                          back: {aliases: [www]}
                        ports: ["127.0.0.1:\(port):80"]
                      api:
                        image: busybox
                        init: true
                        command: ["sleep", "600"]
                        networks: [back]
                        links: ["web:legacy-web"]
                      lonely:
                        image: busybox
                        init: true
                        command: ["sh", "-c", "echo lonely > /tmp/index.html; httpd -f -p 80 -h /tmp"]
                        networks: [front]
                    networks:
                      front: {}
                      back: {}
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)

                // Inside: the service name and the alias resolve, over the embedded DNS.
                let lookup = try await daemon.berthOK(["exec", "-T", "api", "nslookup", "web"], in: directory)
                let webBack = try #require(try await address(daemon, directory, "web", on: "\(name)_back"))
                #expect(lookup.stdout.contains(webBack), "\(lookup.stdout)")
                let alias = try await daemon.berth(["exec", "-T", "api", "nslookup", "www"], in: directory)
                #expect(alias.stdout.contains(webBack), "\(alias.stdout)")
                let link = try await daemon.berth(["exec", "-T", "api", "nslookup", "legacy-web"], in: directory)
                #expect(link.stdout.contains(webBack), "links: web:legacy-web: \(link.stdout)")
                let page = try await daemon.berth(
                    ["exec", "-T", "api", "timeout", "5", "wget", "-q", "-O", "-", "http://web/"], in: directory)
                #expect(page.stdout.contains("hello-web"), "\(page.stdout) \(page.stderr)")
                // api (back only) knows nothing of lonely (front only), by name or by address.
                let unknown = try await daemon.berth(["exec", "-T", "api", "nslookup", "lonely"], in: directory)
                #expect(!unknown.stdout.contains("Address: 10."), "\(unknown.stdout)")
                let lonely = try #require(try await address(daemon, directory, "lonely", on: "\(name)_front"))
                let nc = try await daemon.berth(
                    ["exec", "-T", "api", "nc", "-z", "-w", "2", lonely, "80"], in: directory)
                #expect(nc.status != 0, "api reached lonely across networks")
                // web is on both and reaches lonely.
                let across = try await daemon.berth(
                    ["exec", "-T", "web", "timeout", "5", "wget", "-q", "-O", "-", "http://lonely/"], in: directory)
                #expect(across.stdout.contains("lonely"), "\(across.stdout) \(across.stderr)")
                // Other names go to the host's resolver: here the dnsmasq on loopback.
                let forwarded = try await daemon.berth(
                    ["exec", "-T", "api", "nslookup", "upstream.test"], in: directory)
                #expect(forwarded.stdout.contains("10.9.8.7"), "\(forwarded.stdout) \(forwarded.stderr)")

                // From the host: dig on the gateway, with PTR.
                let networks = try await daemon.berthOK(["network", "inspect", "\(name)_back"])
                let gateway =
                    ((try JSONSerialization.jsonObject(with: Data(networks.stdout.utf8)) as? [[String: Any]])?
                        .first?["gateway"] as? String) ?? ""
                let dig = try await run(["dig", "+short", "+time=2", "+tries=1", "@\(gateway)", "web"])
                #expect(dig.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == webBack, "\(dig.stdout)")
                let ptr = try await run(["dig", "+short", "+time=2", "+tries=1", "@\(gateway)", "-x", webBack])
                #expect(ptr.stdout.contains("\(name)-web-1"), "\(ptr.stdout)")

                // 200 connections at once on the published port, all answered.
                let urls = (0..<200).flatMap { _ in ["-o", "/dev/null", "http://127.0.0.1:\(port)/index.html"] }
                let curl = try await run(
                    [
                        "curl", "-s", "--no-progress-meter", "-w", "%{http_code}\\n", "--parallel", "--parallel-max",
                        "200",
                        "--max-time", "20",
                    ] + urls)
                let codes = curl.stdout.split(separator: "\n")
                #expect(
                    codes.count == 200 && codes.allSatisfy { $0 == "200" },
                    "curl: \(codes.filter { $0 != "200" }.count) failed: \(curl.stderr)")

                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func runExecLogsAndLifecycleCommands() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: cmd\(daemon.prefix.dropFirst(5))
                    services:
                      app:
                        image: busybox
                        command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo hello; while :; do sleep 1 & wait; done"]
                        environment: {GREETING: hi}
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let run = try await daemon.berth(
                    ["run", "--rm", "-e", "EXTRA=1", "app", "sh", "-c", "echo $GREETING $EXTRA; exit 4"], in: directory)
                #expect(run.status == 4)
                #expect(run.stdout.contains("hi 1"), "\(run.stdout) \(run.stderr)")
                let ps = try await daemon.berthOK(["ps", "-a", "-q"], in: directory)
                #expect(ps.stdout.split(separator: "\n").count == 1, "run --rm left its container: \(ps.stdout)")

                let exec = try await daemon.berth(
                    ["exec", "-T", "-u", "nobody", "-w", "/tmp", "app", "sh", "-c", "id -un; pwd; exit 2"],
                    in: directory)
                #expect(exec.status == 2)
                #expect(exec.stdout == "nobody\n/tmp\n", "\(exec.stdout)")

                let logs = try await daemon.berthOK(["logs", "--no-log-prefix", "app"], in: directory)
                #expect(logs.stdout.contains("hello"))
                try await daemon.berthOK(["stop", "-t", "5", "app"], in: directory)
                let stopped = try psJSON(
                    try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory).stdout)
                #expect(stopped.first?["State"] as? String == "exited")
                let bye = try await daemon.berthOK(["logs", "--no-log-prefix", "app"], in: directory)
                #expect(bye.stdout.contains("bye"), "the stop signal did not reach the service: \(bye.stdout)")
                try await daemon.berthOK(["start", "app"], in: directory)
                let started = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
                #expect(started.first?["State"] as? String == "running")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func attachedUpStreamsTheLogsAndAbortsOnAnExit() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: att\(daemon.prefix.dropFirst(5))
                    services:
                      job:
                        image: busybox
                        command: ["sh", "-c", "echo job says hi; sleep 1; exit 7"]
                      srv:
                        image: busybox
                        command: ["sh", "-c", "trap 'echo srv stopping; exit 0' TERM; echo srv up; while :; do sleep 1 & wait; done"]
                    """)
                let up = try await daemon.berth(
                    ["up", "--abort-on-container-exit", "--exit-code-from", "job", "--progress", "quiet"], in: directory
                )
                #expect(up.status == 7, "\(up.stdout)\n\(up.stderr)")
                for text in [
                    "job-1  | job says hi", "srv-1  | srv up", "job-1 exited with code 7", "srv-1  | srv stopping",
                ] {
                    #expect(up.stdout.contains(text), "missing \(text) in:\n\(up.stdout)")
                }
                let ps = try psJSON(try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory).stdout)
                #expect(ps.allSatisfy { $0["State"] as? String == "exited" })
                try await daemon.berthOK(["down"], in: directory)
            }
        }
    }
}
