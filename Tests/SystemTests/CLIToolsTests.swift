import Foundation
import TestSupport
import Testing

extension SystemTests {
    /// `pause`/`unpause`, `stats`, `cp`, `down --rmi` and `ps`'s COMMAND,
    /// through the real CLI, checked from the host (cgroup files, the
    /// container's files through /proc/PID/root) where Berth's word is not enough.
    @Suite struct CLIToolsTests {
        /// The container's init pid, from `berth top` of the service.
        static func initPID(_ daemon: TestDaemon, _ directory: String, _ service: String) async throws -> Int32? {
            let top = try await daemon.berthOK(["top", service], in: directory).stdout
            let rows = top.split(separator: "\n").dropFirst(2)
            return rows.compactMap { row in row.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first
            }
            .compactMap { Int32($0) }.min()
        }

        /// The freezer's word on the cgroup of `pid`: v1 `freezer.state`, or v2's `cgroup.events`.
        static func frozen(_ pid: Int32) -> Bool? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count == 3 else { continue }
                if fields[1] == "freezer",
                    let state = try? String(
                        contentsOfFile: "/sys/fs/cgroup/freezer\(fields[2])/freezer.state", encoding: .utf8)
                {
                    return state.hasPrefix("FROZEN")
                }
                if fields[1].isEmpty,
                    let events = try? String(
                        contentsOfFile: "/sys/fs/cgroup\(fields[2])/cgroup.events", encoding: .utf8)
                {
                    return events.contains("frozen 1")
                }
            }
            return nil
        }

        @Test func pauseFreezesTheContainerAndItsHealthcheckWaitsUntilUnpause() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: p\(daemon.prefix.dropFirst(5))
                    services:
                      web:
                        image: busybox
                        init: true
                        command: ["sleep", "600"]
                        healthcheck:
                          test: ["CMD", "sh", "-c", "echo probe >> /tmp/probes"]
                          interval: 1s
                          timeout: 1s
                          retries: 1
                    """)
                try await daemon.berthOK(["up", "--wait", "--progress", "quiet"], in: directory)
                let pid = try #require(try await Self.initPID(daemon, directory, "web"))
                try await daemon.berthOK(["pause", "web"], in: directory)
                #expect(Self.frozen(pid) == true, "the cgroup freezer holds the container")
                let ps = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
                #expect(ps.first?["State"] as? String == "paused", "\(ps)")
                #expect((ps.first?["Status"] as? String)?.hasSuffix("(Paused)") == true, "\(ps)")
                // Frozen for three probe intervals: no probe may run, fail and restart it.
                let held = try await eventually(within: 3) { Self.frozen(pid) != true }
                #expect(!held, "still frozen three intervals later")
                let exec = try await daemon.berth(["exec", "-T", "web", "true"], in: directory)
                #expect(
                    exec.status != 0 && exec.stderr.contains("paused"), "exec in a paused container: \(exec.stderr)")
                try await daemon.berthOK(["unpause", "web"], in: directory)
                #expect(Self.frozen(pid) == false)
                // Probes come back, into the same container: same init, never restarted.
                let probes = "/proc/\(pid)/root/tmp/probes"
                let before = (try? String(contentsOfFile: probes, encoding: .utf8))?.count ?? 0
                let resumed = try await eventually(within: 60) {
                    ((try? String(contentsOfFile: probes, encoding: .utf8))?.count ?? 0) > before
                }
                #expect(resumed, "a probe ran after unpause")
                let after = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
                #expect(after.first?["RestartCount"] as? Int == 0, "\(after)")
                #expect(try await Self.initPID(daemon, directory, "web") == pid)
                // A paused container stops and goes with down, as docker's does.
                try await daemon.berthOK(["pause"], in: directory)
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func statsShowsTheCgroupFiguresInDockersForms() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: s\(daemon.prefix.dropFirst(5))
                    services:
                      busy:
                        image: busybox
                        init: true
                        mem_limit: 64m
                        command: ["sh", "-c", "while :; do :; done"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                let output = try await daemon.berthOK(
                    ["stats", "--no-stream", "--format", "json"], in: directory)
                let rows = try psJSON(output.stdout)
                let row = try #require(rows.first, "\(output.stdout)")
                #expect((row["MemUsage"] as? String)?.hasSuffix(" / 64MiB") == true, "\(row)")
                let cpu = Double((row["CPUPerc"] as? String ?? "").dropLast()) ?? 0
                #expect(cpu > 10, "a busy loop uses a CPU: \(row)")
                #expect(Int(row["PIDs"] as? String ?? "") ?? 0 >= 2, "init and the shell: \(row)")
                #expect((row["NetIO"] as? String)?.contains(" / ") == true, "\(row)")
                let table = try await daemon.berthOK(["stats", "--no-stream"], in: directory)
                #expect(table.stdout.hasPrefix("CONTAINER ID"), "\(table.stdout)")
                #expect(table.stdout.contains("busy-1"), "\(table.stdout)")
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }

        @Test func cpCopiesBothWaysWithDockersRulesAndStaysInsideTheContainer() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: c\(daemon.prefix.dropFirst(5))
                    services:
                      box:
                        image: busybox
                        init: true
                        command: ["sh", "-c", "mkdir -p /data/sub && echo inside > /data/sub/f && ln -s /etc /tmp/link && sleep 600"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                let pid = try #require(try await Self.initPID(daemon, directory, "box"))
                let root = "/proc/\(pid)/root"
                #expect(try await eventually(within: 60) { FileManager.default.fileExists(atPath: root + "/tmp/link") })
                // Out: a directory to a new name, then a file into a directory.
                try await daemon.berthOK(["cp", "box:/data", "out"], in: directory)
                #expect(try String(contentsOfFile: directory + "/out/sub/f", encoding: .utf8) == "inside\n")
                try await daemon.berthOK(["cp", "box:/data/sub/f", "out/"], in: directory)
                #expect(FileManager.default.fileExists(atPath: directory + "/out/f"))
                // In: a file owned by 1234 goes in as root's, and with -a as 1234's.
                let file = directory + "/note"
                try "from the host\n".write(toFile: file, atomically: true, encoding: .utf8)
                #expect(chown(file, 1234, 1234) == 0)
                try await daemon.berthOK(["cp", "note", "box:/data/"], in: directory)
                try await daemon.berthOK(["cp", "-a", "note", "box:/data/kept"], in: directory)
                var info = stat()
                #expect(stat(root + "/data/note", &info) == 0 && info.st_uid == 0, "owned by root")
                #expect(stat(root + "/data/kept", &info) == 0 && info.st_uid == 1234, "-a keeps the owner")
                #expect(try String(contentsOfFile: root + "/data/note", encoding: .utf8) == "from the host\n")
                // Through a symlink the container made to /etc: its /etc, never the host's.
                let name = "berth-cp-\(daemon.prefix)"
                try "x\n".write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
                try await daemon.berthOK(["cp", name, "box:/tmp/link/"], in: directory)
                #expect(!FileManager.default.fileExists(atPath: "/etc/" + name), "written to the host's /etc")
                #expect(FileManager.default.fileExists(atPath: root + "/etc/" + name), "in the container's /etc")
                // `-` is a tar archive on standard output.
                let archive = try await run(
                    ["sh", "-c", "\(TestDaemon.binaries)/berth cp box:/data - | tar -tf -"], in: directory,
                    environment: daemon.environment)
                #expect(archive.stdout.contains("data/sub/f"), "\(archive.stdout)\(archive.stderr)")
                let missing = try await daemon.berth(["cp", "box:/nowhere", "x"], in: directory)
                #expect(missing.status != 0 && missing.stderr.contains("/nowhere"), "\(missing.stderr)")
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }

        @Test func psShowsTheCommandAndDockersCreatedAt() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: q\(daemon.prefix.dropFirst(5))
                    services:
                      quiet:
                        image: busybox
                        init: true
                        command: ["sleep", "600"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                let ps = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
                #expect(ps.first?["Command"] as? String == "\"sleep 600\"", "\(ps)")
                let created = ps.first?["CreatedAt"] as? String ?? ""
                #expect(
                    created.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$"#, options: .regularExpression)
                        != nil, "\(created)")
                let table = try await daemon.berthOK(["ps"], in: directory).stdout
                #expect(table.contains("COMMAND") && table.contains("\"sleep 600\""), "\(table)")
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }

        @Test func downRmiRemovesTheServicesImages() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let image = "rmi-\(daemon.prefix.dropFirst(5)):1"
                try await daemon.berthOK(["image", "tag", "busybox", image])
                let directory = try writeProject(
                    daemon,
                    """
                    name: i\(daemon.prefix.dropFirst(5))
                    services:
                      one:
                        image: \(image)
                        command: ["true"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                // local: only images built for services without `image:`; this one stays.
                try await daemon.berthOK(["down", "--rmi", "local"], in: directory)
                #expect(try await daemon.berth(["image", "inspect", image]).status == 0)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                try await daemon.berthOK(["down", "--rmi", "all"], in: directory)
                #expect(try await daemon.berth(["image", "inspect", image]).status != 0, "removed")
                #expect(try await daemon.berth(["image", "inspect", "busybox"]).status == 0, "its other name stays")
                let bad = try await daemon.berth(["down", "--rmi", "some"], in: directory)
                #expect(bad.status == 1 && bad.stderr.contains("local"), "\(bad.stderr)")
            }
        }
    }
}
