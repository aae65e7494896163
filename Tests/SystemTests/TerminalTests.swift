import Foundation
import Glibc
import TestSupport
import Testing

extension SystemTests {
    /// `exec`, `run -it` and `attach` through a real terminal (tmux), as a
    /// developer types them: the shell's answers are read off the screen.
    @Suite struct TerminalTests {
        static let service = """
              app:
                image: busybox
                command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
            """

        @Test func execShellOnATerminal() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon, "name: tt\(daemon.prefix.dropFirst(5))\nservices:\n" + Self.service)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let tmux = try await Tmux.start(daemon, in: directory, columns: 100, rows: 30)
                defer { Task { await tmux.kill() } }
                let berth = TestDaemon.binaries + "/berth -f \(directory)/compose.yaml"
                try await tmux.type("stty -g > before.txt")
                try await tmux.type("\(berth) exec app sh; echo EXIT=$?")
                try await tmux.waitFor("/ # ")
                try await tmux.type("echo $((6*7))")
                try await tmux.waitForOutput("42")
                try await tmux.type("tty")
                try await tmux.waitForLine("a /dev/pts/N") { $0.hasPrefix("/dev/pts/") }
                try await tmux.type("stty size")
                try await tmux.waitForOutput("30 100")
                try await tmux.resize(columns: 90, rows: 25)
                try await tmux.type("stty size")
                try await tmux.waitForOutput("25 90")
                // Ctrl-C is the shell's: sleep ends, the prompt comes back, berth stays.
                try await tmux.type("sleep 100")
                try await tmux.keys("C-c")
                try await tmux.type("echo $((1000+234))")
                try await tmux.waitForOutput("1234", within: 10)
                try await tmux.type("exit 3")
                try await tmux.waitFor("EXIT=3")
                try await tmux.type("stty -g > after.txt")
                try await tmux.type("cmp before.txt after.txt && echo SAME-SETTINGS")
                try await tmux.waitForOutput("SAME-SETTINGS")

                // kill -TERM of the CLI: the terminal is put back all the same.
                try await tmux.type("\(berth) exec app sh; echo EXIT=$?")
                try await tmux.waitFor("/ # ")
                let pids = berthProcesses(containing: directory)
                #expect(pids.count == 1, "berth processes: \(pids)")
                for pid in pids { kill(pid, SIGTERM) }
                try await tmux.waitFor("EXIT=143")
                try await tmux.type("stty -g > after-term.txt")
                try await tmux.type("cmp before.txt after-term.txt && echo SAME-AFTER-TERM")
                try await tmux.waitForOutput("SAME-AFTER-TERM")

                // run --rm -it: a one-off with a terminal, removed afterwards.
                try await tmux.type("\(berth) run --rm app sh; echo EXIT=$?")
                try await tmux.waitFor("/ # ")
                try await tmux.type("echo $((6*7)) $(tty)")
                try await tmux.waitForLine("42 and a pts") { $0.hasPrefix("42 /dev/pts/") }
                try await tmux.type("exit 5")
                try await tmux.waitFor("EXIT=5")
                let ps = try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory)
                #expect(!ps.stdout.contains("-run-"), "the one-off was not removed: \(ps.stdout)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func attachToATTYServiceDetachAndComeBackAfterBerthdRestart() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: ta\(daemon.prefix.dropFirst(5))
                    services:
                      console:
                        image: busybox
                        command: ["sh"]
                        tty: true
                        stdin_open: true
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let tmux = try await Tmux.start(daemon, in: directory)
                defer { Task { await tmux.kill() } }
                let berth = TestDaemon.binaries + "/berth -f \(directory)/compose.yaml"
                try await tmux.type("\(berth) attach console; echo EXIT=$?")
                try await tmux.type("echo $((6*7))")
                try await tmux.waitForOutput("42")
                try await tmux.keys("C-p", "C-q")
                try await tmux.waitFor("EXIT=0")
                #expect(try await summaryState(daemon, directory) == "running")

                // berthd killed and started again: the shim still holds the terminal.
                let berthd = try #require(daemon.daemonPID())
                kill(berthd, SIGKILL)
                #expect(try await eventually(within: 60) { kill(berthd, 0) != 0 || TestDaemon.isZombie(berthd) })
                try await tmux.type("\(berth) attach console; echo EXIT=$?")
                try await tmux.type("echo $((8*8))")
                try await tmux.waitForOutput("64", within: 30)
                try await tmux.keys("C-p", "C-q")
                try await tmux.waitFor("EXIT=0")
                #expect(try await summaryState(daemon, directory) == "running")
                // Its output also went to its log.
                let logs = try await daemon.berthOK(["logs", "--no-log-prefix", "console"], in: directory)
                #expect(logs.stdout.contains("64"), "\(logs.stdout)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func pipedInputExitCodesAndPublishedPorts() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon, "name: tp\(daemon.prefix.dropFirst(5))\nservices:\n" + Self.service)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let berth = TestDaemon.binaries + "/berth"
                // Byte for byte, with and without -T (standard input is not a terminal here).
                let data = directory + "/data.bin"
                _ = try await run(["sh", "-c", "head -c 3000000 /dev/urandom > \(data)"])
                let expected = try await run(["sh", "-c", "md5sum < \(data)"]).stdout
                for flags in [["-T"], []] {
                    let got = try await run(
                        ["sh", "-c", "\(berth) exec \(flags.joined(separator: " ")) app md5sum < \(data)"],
                        in: directory, environment: daemon.environment)
                    #expect(got.status == 0, "\(got.stderr)")
                    #expect(got.stdout == expected, "exec \(flags): \(got.stdout) vs \(expected)")
                }
                let missing = try await daemon.berth(["exec", "-T", "app", "no-such-command"], in: directory)
                #expect(missing.status == 127, "\(missing)")
                let notExecutable = try await daemon.berth(["exec", "-T", "app", "/etc/passwd"], in: directory)
                #expect(notExecutable.status == 126, "\(notExecutable)")
                let own = try await daemon.berth(["exec", "-T", "app", "sh", "-c", "exit 7"], in: directory)
                #expect(own.status == 7, "\(own)")

                // exec -d runs on in the background; --privileged gets every capability.
                try await daemon.berthOK(["exec", "-d", "app", "sh", "-c", "echo detached > /tmp/d"], in: directory)
                let detached = try await eventually(within: 60) {
                    try await daemon.berth(["exec", "-T", "app", "cat", "/tmp/d"], in: directory).stdout == "detached\n"
                }
                #expect(detached, "exec -d did not run")
                let caps = ["exec", "-T", "app", "sh", "-c", "grep CapEff /proc/self/status"]
                let plain = try await daemon.berthOK(caps, in: directory).stdout
                let privileged = try await daemon.berthOK(
                    ["exec", "-T", "--privileged"] + caps.dropFirst(2), in: directory
                ).stdout
                #expect(plain != privileged, "\(plain) vs \(privileged)")

                // run's -v, -l and --cap-drop.
                try "from the host\n".write(toFile: directory + "/shared.txt", atomically: true, encoding: .utf8)
                let mounted = try await daemon.berthOK(
                    [
                        "run", "--rm", "-T", "-v", directory + ":/host:ro", "-l", "purpose=test", "--cap-drop",
                        "NET_RAW", "app", "cat", "/host/shared.txt",
                    ], in: directory)
                #expect(mounted.stdout == "from the host\n", "\(mounted)")

                // run -p publishes (and -p is not the project name here).
                let port = freePort()
                try await daemon.berthOK(
                    [
                        "run", "-d", "--name", "web\(daemon.prefix.dropFirst(5))", "-p", "127.0.0.1:\(port):80", "app",
                        "sh", "-c",
                        "mkdir -p /www && echo published > /www/index.html && trap 'exit 0' TERM; "
                            + "httpd -f -p 80 -h /www & wait",
                    ], in: directory)
                let body = try await eventually(within: 60) {
                    try await curl("http://127.0.0.1:\(port)/")?.contains("published") == true
                }
                #expect(body, "curl got nothing from the published port")
                try await daemon.berthOK(["down", "-t", "1", "--remove-orphans"], in: directory)
            }
        }

        func summaryState(_ daemon: TestDaemon, _ directory: String) async throws -> String? {
            let ps = try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory)
            return try psJSON(ps.stdout).first?["State"] as? String
        }
    }
}
