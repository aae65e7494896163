import Foundation
import TestSupport
import Testing

extension SystemTests {
    /// Where the CLI behaved otherwise than docker compose's, side by side
    /// (issue 15), each through the real CLI.
    @Suite struct CLITests {
        /// A service whose PID 1 ignores SIGTERM (busybox `sleep`), so only
        /// the SIGKILL after the grace period ends it. Its own grace is 300 s,
        /// so a flag that was not honoured shows at any load of the machine.
        static let deaf = """
              deaf:
                image: busybox
                command: ["sleep", "600"]
                stop_grace_period: 300s
            """

        @Test func stopRestartAndDownHonourTheTimeout() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon, "name: t\(daemon.prefix.dropFirst(5))\nservices:\n\(Self.deaf)\n")
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                // The service's grace is 300 s; each of these asks for 1 s or none.
                for arguments in [["stop", "-t", "1"], ["restart", "--timeout", "1"], ["stop", "-t0"]] {
                    let clock = ContinuousClock()
                    let start = clock.now
                    try await daemon.berthOK(arguments + ["deaf"], in: directory)
                    let elapsed = clock.now - start
                    #expect(elapsed < .seconds(120), "berth \(arguments.joined(separator: " ")) took \(elapsed)")
                    if arguments[0] == "restart" { continue }
                    let ps = try psJSON(
                        try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory).stdout)
                    #expect(ps.first?["ExitCode"] as? Int == 137, "killed after the grace: \(ps)")
                    try await daemon.berthOK(["start", "deaf"], in: directory)
                }
                let clock = ContinuousClock()
                let start = clock.now
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
                #expect(clock.now - start < .seconds(120), "down -t 0 took \(clock.now - start)")
            }
        }

        @Test func runInAProjectThatWasNeverUpMakesItsNetworkAndVolume() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let name = "r\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(name)
                    services:
                      job:
                        image: busybox
                        volumes: [data:/data]
                    volumes:
                      data: {}
                    """)
                let output = try await daemon.berthOK(
                    ["run", "--rm", "job", "sh", "-c", "echo kept > /data/f; cat /data/f"], in: directory)
                #expect(output.stdout.contains("kept"), "\(output.stdout)\n\(output.stderr)")
                let networks = try await run(["ip", "-o", "link", "show"])
                #expect(networks.stdout.contains(daemon.prefix), "the project's bridge: \(networks.stdout)")
                let volumes = try await daemon.berthOK(["volume", "ls", "-q"])
                #expect(volumes.stdout.contains("\(name)_data"), "\(volumes.stdout)")
                let again = try await daemon.berthOK(["run", "--rm", "job", "cat", "/data/f"], in: directory)
                #expect(again.stdout.contains("kept"), "the volume keeps what the first run wrote: \(again.stdout)")
                try await daemon.berthOK(["down", "-v"], in: directory)
            }
        }

        @Test func logsFollowEndsOnceEveryContainerHasStoppedForGood() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: l\(daemon.prefix.dropFirst(5))
                    services:
                      once:
                        image: busybox
                        command: ["sh", "-c", "echo one; echo two"]
                      flaky:
                        image: busybox
                        restart: on-failure:2
                        command: ["sh", "-c", "echo run; exit 3"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                // `logs -f` returns by itself: `once` ended, `flaky` ran three
                // times (its policy restarted it twice) and was left down.
                let logs = try await daemon.berth(["logs", "-f", "--no-log-prefix"], in: directory)
                #expect(logs.status == 0, "logs -f did not end by itself: \(logs.status) \(logs.stderr)")
                let lines = logs.stdout.split(separator: "\n").map(String.init)
                #expect(lines.filter { $0 == "run" }.count == 3, "each of flaky's runs once: \(lines)")
                #expect(lines.filter { $0 == "one" || $0 == "two" }.count == 2, "\(lines)")
                // A tail of one line, joined to its flag as docker takes it.
                let tail = try await daemon.berthOK(["logs", "-n1", "--no-log-prefix", "once"], in: directory)
                #expect(tail.stdout == "two\n", "\(tail.stdout)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func logsUntilShowsOnlyTheEarlierLines() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: u\(daemon.prefix.dropFirst(5))
                    services:
                      talk:
                        image: busybox
                        command: ["sh", "-c", "echo early; sleep 2; echo late"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                let all = try await daemon.berth(["logs", "-f", "-t", "--no-log-prefix"], in: directory)
                let lines = all.stdout.split(separator: "\n")
                #expect(lines.count == 2, "\(all.stdout)")
                guard lines.count == 2, let late = lines.last?.split(separator: " ").first else { return }
                // Until the second line's time: only the lines before it.
                let until = String(late)
                let before = try await daemon.berthOK(["logs", "--no-log-prefix", "--until", until], in: directory)
                #expect(before.stdout == "early\n", "until \(until): \(before.stdout)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func aStoppedContainerReleasesItsPortAndTakesItAgainOnStart() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let port = freePort()
                let directory = try writeProject(
                    daemon,
                    """
                    name: p\(daemon.prefix.dropFirst(5))
                    services:
                      web:
                        image: busybox
                        init: true
                        ports: ["127.0.0.1:\(port):80"]
                        command: ["sh", "-c", "echo up > /tmp/index.html; httpd -f -p 80 -h /tmp"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                #expect(try await eventually(within: 60) { try await curl("http://127.0.0.1:\(port)/") == "up\n" })
                try await daemon.berthOK(["stop", "web"], in: directory)
                // Released: nothing listens (curl fails to connect), and
                // another program may bind the port, as under docker.
                #expect(try await curl("http://127.0.0.1:\(port)/") == nil)
                let holder = try await run([
                    "python3", "-c",
                    "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', \(port))); s.listen(); print('bound')",
                ])
                #expect(holder.stdout == "bound\n", "\(holder.stdout) \(holder.stderr)")
                let ps = try psJSON(try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory).stdout)
                #expect(
                    (ps.first?["Publishers"] as? [Any])?.isEmpty == true, "a stopped container shows no ports: \(ps)")
                try await daemon.berthOK(["start", "web"], in: directory)
                #expect(try await eventually(within: 60) { try await curl("http://127.0.0.1:\(port)/") == "up\n" })
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func downWithoutTheProfileOfARunningServiceStillTakesEverythingAway() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: d\(daemon.prefix.dropFirst(5))
                    services:
                      web:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
                      debug:
                        image: busybox
                        profiles: [debug]
                        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
                    """)
                try await daemon.berthOK(["--profile", "debug", "up", "-d", "--progress", "quiet"], in: directory)
                try await daemon.berthOK(["down"], in: directory)
                let ps = try await daemon.berthOK(["ps", "-a", "-q"], in: directory)
                #expect(ps.stdout.isEmpty, "containers left: \(ps.stdout)")
                let links = try await run(["ip", "-o", "link", "show"])
                #expect(!links.stdout.contains(daemon.prefix), "the project's bridge is gone: \(links.stdout)")
            }
        }

        @Test func createMakesWithoutStartingAndScaleSetsTheReplicas() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: c\(daemon.prefix.dropFirst(5))
                    services:
                      web:
                        image: busybox
                        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
                    """)
                func states() async throws -> [String] {
                    let ps = try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory)
                    return try psJSON(ps.stdout).compactMap { $0["State"] as? String }.sorted()
                }
                try await daemon.berthOK(["create", "--progress", "quiet"], in: directory)
                #expect(try await states() == ["created"])
                try await daemon.berthOK(["start"], in: directory)
                #expect(try await states() == ["running"])
                // `ls` names the compose files, as docker compose's does, not the directory.
                let ls = try await daemon.berthOK(["ls", "--format", "json"], in: directory)
                #expect(ls.stdout.contains(#""ConfigFiles":"\#(directory)/compose.yaml""#), "\(ls.stdout)")
                try await daemon.berthOK(["scale", "--progress", "quiet", "web=3"], in: directory)
                #expect(try await states() == ["running", "running", "running"])
                try await daemon.berthOK(["scale", "--progress", "quiet", "web=1"], in: directory)
                #expect(try await states() == ["running"])
                let unknown = try await daemon.berth(["scale", "nope=2"], in: directory)
                #expect(unknown.status == 1 && unknown.stderr.contains("no such service: nope"), "\(unknown.stderr)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func attachedUpShowsWhatItsLogFlagsAsk() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: a\(daemon.prefix.dropFirst(5))
                    services:
                      shown:
                        image: busybox
                        command: ["echo", "from shown"]
                      hidden:
                        image: busybox
                        command: ["echo", "from hidden"]
                    """)
                let up = try await daemon.berthOK(
                    ["up", "--no-attach", "hidden", "--no-log-prefix", "--timestamps", "--no-color", "--quiet-pull"],
                    in: directory)
                // Besides docker compose's "shown-1 exited with code 0" lines.
                let lines = up.stdout.split(separator: "\n").map(String.init).filter {
                    !$0.contains("exited with code")
                }
                #expect(lines.count == 1, "only the attached service's line: \(up.stdout)")
                #expect(lines.first?.hasSuffix("Z from shown") == true, "timestamp, no prefix: \(up.stdout)")
                #expect(!up.stdout.contains("\u{1B}["), "no colour")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func attachedUpSaysExitedAfterTheServicesLastLine() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: e\(daemon.prefix.dropFirst(5))
                    services:
                      talk:
                        image: busybox
                        command: ["sh", "-c", "i=0; while [ $$i -lt 300 ]; do i=$$((i+1)); echo line-$$i; done"]
                      slow:
                        image: busybox
                        command: ["sh", "-c", "echo first; sleep 1; echo last"]
                    """)
                for _ in 0..<3 {
                    let up = try await daemon.berthOK(["up", "--no-color"], in: directory)
                    let lines = up.stdout.split(separator: "\n").map(String.init)
                    for (service, last) in [("talk", "line-300"), ("slow", "last")] {
                        let said = lines.firstIndex { $0.hasPrefix("\(service)-1 exited with code 0") }
                        let lastLine = lines.lastIndex { $0.hasPrefix("\(service)-1") && $0.hasSuffix("| \(last)") }
                        #expect(said != nil && lastLine != nil, "\(up.stdout)")
                        if let said, let lastLine { #expect(lastLine < said, "the last line first: \(up.stdout)") }
                        #expect(
                            lines.filter { $0.hasPrefix("\(service)-1 exited") }.count == 1, "said once: \(up.stdout)")
                    }
                    try await daemon.berthOK(["down"], in: directory)
                }
            }
        }

        @Test func aSecondAttachedUpShowsOnlyTheNewRunsOutput() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: n\(daemon.prefix.dropFirst(5))
                    services:
                      hi:
                        image: busybox
                        command: ["sh", "-c", "echo run-$$(cat /proc/sys/kernel/random/uuid)"]
                    """)
                let first = try await daemon.berthOK(["up", "--no-color"], in: directory)
                let second = try await daemon.berthOK(["up", "--no-color"], in: directory)
                let runs = { (text: String) in text.split(separator: "\n").filter { $0.contains("| run-") } }
                #expect(runs(first.stdout).count == 1, "\(first.stdout)")
                #expect(runs(second.stdout).count == 1, "the second up replays no older run: \(second.stdout)")
                #expect(runs(first.stdout) != runs(second.stdout), "\(second.stdout)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func eachFailedDependencyIsExplainedAndAPendingOneDoesNotHoldUpTheFailure() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: d\(daemon.prefix.dropFirst(5))
                    services:
                      first:
                        image: busybox
                        command: ["sh", "-c", "exit 3"]
                      second:
                        image: busybox
                        command: ["sh", "-c", "exit 4"]
                      never:
                        image: busybox
                        init: true
                        command: ["sleep", "600"]
                        healthcheck:
                          test: ["CMD", "true"]
                          interval: 1h
                          start_period: 1h
                      app:
                        image: busybox
                        command: ["true"]
                        depends_on:
                          first: {condition: service_completed_successfully}
                          second: {condition: service_completed_successfully}
                          never: {condition: service_healthy}
                    """)
                let up = try await daemon.berth(["up", "-d", "--progress", "plain"], in: directory)
                #expect(up.status != 0)
                #expect(up.stderr.contains("exited with code 3"), "the first one's reason: \(up.stderr)")
                #expect(up.stderr.contains("exited with code 4"), "the second one's reason: \(up.stderr)")
                let bare = (up.stdout + up.stderr).split(separator: "\n").filter { $0.hasSuffix(" Error") }
                #expect(bare.isEmpty, "an Error without its reason: \(bare)")
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }

        @Test func anImageOfAnotherPlatformIsRefusedNamingBoth() async throws {
            #if arch(x86_64)
            let (other, host, uname) = ("linux/arm64", "linux/amd64", "linux/x86_64")
            #else
            let (other, host, uname) = ("linux/amd64", "linux/arm64", "linux/aarch64")
            #endif
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: f\(daemon.prefix.dropFirst(5))
                    services:
                      other:
                        image: busybox
                        platform: \(other)
                        pull_policy: missing
                        command: ["true"]
                    """)
                let up = try await daemon.berth(["up", "-d", "--progress", "quiet"], in: directory)
                #expect(up.status != 0)
                #expect(up.stderr.contains("wanted \(other), actual: \(host)"), "\(up.stderr)")
                let ps = try await daemon.berthOK(["ps", "-a", "-q"], in: directory)
                #expect(ps.stdout.isEmpty, "nothing made: \(ps.stdout)")
                // The host's own platform, spelled as uname spells it, is the same one.
                let same = directory + "/compose.yaml"
                try String(contentsOfFile: same, encoding: .utf8).replacingOccurrences(of: other, with: uname)
                    .write(toFile: same, atomically: true, encoding: .utf8)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func interruptingAnAttachedUpOfSomeServicesStopsOnlyThoseAndTheirDependencies() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let loop = #"command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]"#
                let directory = try writeProject(
                    daemon,
                    """
                    name: i\(daemon.prefix.dropFirst(5))
                    services:
                      db:
                        image: busybox
                        \(loop)
                      web:
                        image: busybox
                        depends_on: [db]
                        \(loop)
                      other:
                        image: busybox
                        \(loop)
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet", "other"], in: directory)
                let pid = try daemon.spawnBerth(["up", "web"], in: directory, log: directory + "/up.log")
                func states() async throws -> [String: String] {
                    let ps = try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory)
                    var states: [String: String] = [:]
                    for row in try psJSON(ps.stdout) {
                        states[row["Service"] as? String ?? ""] = row["State"] as? String
                    }
                    return states
                }
                #expect(try await eventually(within: 30) { try await states()["web"] == "running" })
                kill(pid, SIGINT)
                var status: Int32 = 0
                #expect(try await eventually(within: 30) { waitpid(pid, &status, WNOHANG) == pid })
                let after = try await states()
                #expect(after == ["db": "exited", "web": "exited", "other": "running"], "\(after)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func usageErrorsExitOneAndGlobalFlagsWorkEverywhere() async throws {
            try await withDaemon(start: false) { daemon in
                let directory = try writeProject(daemon, "services:\n  web:\n    image: busybox\n")
                let unknown = try await daemon.berth(["frobnicate"], in: directory)
                #expect(unknown.status == 1, "\(unknown.status) \(unknown.stderr)")
                #expect(unknown.stderr.contains("frobnicate"), "\(unknown.stderr)")
                let option = try await daemon.berth(["ps", "--frobnicate"], in: directory)
                #expect(option.status == 1, "\(option.status) \(option.stderr)")
                let version = try await daemon.berth(["-f", "compose.yaml", "version"], in: directory)
                #expect(version.status == 0 && version.stdout.hasPrefix("Berth version"), "\(version.stderr)")
                let help = try await daemon.berth(["ps", "--help"], in: directory)
                #expect(help.status == 0 && help.stdout.contains("--filter"), "\(help.stdout)")
            }
        }
    }
}
