import Foundation
import Glibc
import TestSupport
import Testing

extension SystemTests {
    /// Faults berthd must handle rather than freeze on (issue 16, part 7),
    /// each checked from the host: processes in /proc, the real CLI.
    @Suite struct FaultTests {
        /// The pids of berth-shim processes whose command line holds `marker` and `service`.
        static func shims(_ marker: String, _ service: String) -> [pid_t] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap { pid_t($0) }.filter { pid in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
                return line.contains("berth-shim") && line.contains(marker) && line.contains("-\(service)-1")
            }
        }

        static func alive(_ pid: pid_t) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
        }

        @Test func aKilledShimLeavesAContainerThatIsStoppedRestartedByItsPolicyAndShownTruly() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: k\(daemon.prefix.dropFirst(5))
                    services:
                      kept:
                        image: busybox
                        init: true
                        restart: always
                        command: ["sleep", "600"]
                      once:
                        image: busybox
                        init: true
                        command: ["sleep", "600"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                let initOfOnce = try #require(try await CLIToolsTests.initPID(daemon, directory, "once"))
                let initOfKept = try #require(try await CLIToolsTests.initPID(daemon, directory, "kept"))
                let shims = Self.shims(daemon.root, "once") + Self.shims(daemon.root, "kept")
                #expect(shims.count == 2, "\(shims)")
                for pid in shims { kill(pid, SIGKILL) }
                // Neither init outlives its shim: nobody would collect its output or its end.
                let stopped = try await eventually(within: 20) { !Self.alive(initOfOnce) && !Self.alive(initOfKept) }
                #expect(stopped, "the containers whose shims died were stopped")
                // `once` shows as killed (137), not dead; `kept` runs again under its policy.
                let settled = try await eventually(within: 30) {
                    let ps = try psJSON(
                        try await daemon.berthOK(["ps", "-a", "--format", "json"], in: directory).stdout)
                    let once = ps.first { $0["Service"] as? String == "once" }
                    let kept = ps.first { $0["Service"] as? String == "kept" }
                    return once?["State"] as? String == "exited" && once?["ExitCode"] as? Int == 137
                        && kept?["State"] as? String == "running"
                }
                let ps = try await daemon.berthOK(["ps", "-a"], in: directory).stdout
                #expect(settled, "\(ps)")
                let newKept = try await CLIToolsTests.initPID(daemon, directory, "kept")
                #expect(newKept != nil && newKept != initOfKept, "a new run of kept")
                // The next up converges: once runs again.
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                let after = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
                #expect(after.count == 2 && after.allSatisfy { $0["State"] as? String == "running" }, "\(after)")
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }

        @Test func downDashVCompletesOnAFullDisk() async throws {
            try await withDaemon(start: false) { daemon in
                // The whole root on a small tmpfs, filled once the stack is up.
                let mounted = try await run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", daemon.root])
                guard mounted.status == 0 else { throw TestFailure("mount tmpfs: \(mounted.stderr)") }
                defer { umount2(daemon.root, Int32(MNT_DETACH)) }
                try await daemon.start()
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: f\(daemon.prefix.dropFirst(5))
                    services:
                      writer:
                        image: busybox
                        init: true
                        command: ["sh", "-c", "while :; do echo line; sleep 0.1; done"]
                        volumes: [data:/data]
                      other:
                        image: busybox
                        init: true
                        command: ["sleep", "600"]
                        ports: ["127.0.0.1::80"]
                    volumes:
                      data: {}
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                let filler = daemon.root + "/filler"
                _ = try await run(["dd", "if=/dev/zero", "of=" + filler, "bs=1M", "count=100"])
                var info = statvfs()
                #expect(statvfs(daemon.root, &info) == 0 && info.f_bavail == 0, "the disk is full")
                let down = try await daemon.berth(["down", "-v", "-t", "1"], in: directory)
                #expect(down.status == 0, "down -v on a full disk: \(down.stderr)\n\(daemon.logTail())")
                #expect(!down.stderr.contains("NSCocoaErrorDomain"), "\(down.stderr)")
                let ps = try await daemon.berth(["ps", "-a", "-q"], in: directory)
                #expect(ps.stdout.isEmpty, "no container left: \(ps.stdout)")
                let volumes = try await daemon.berth(["volume", "ls", "-q"])
                #expect(!volumes.stdout.contains("_data"), "the volume went: \(volumes.stdout)")
                // Of the mounts, only the test's own tmpfs may stay.
                let left = await daemon.footprint.leftovers(within: .seconds(10)).filter {
                    $0 != "mount " + daemon.root
                }
                #expect(left.isEmpty, "left on the host: \(left)")
                try? FileManager.default.removeItem(atPath: filler)
                await daemon.stop()
            }
        }

        @Test func aRestartThatFailsToStartIsTriedAgainUnderThePolicy() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: r\(daemon.prefix.dropFirst(5))
                    services:
                      flaky:
                        image: busybox
                        restart: always
                        volumes: [./data:/data]
                        command: ["sh", "-c", "sleep 1; exit 1"]
                    """)
                let data = directory + "/data"
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                let events = daemon.root + "/events.log"
                let watcher = try daemon.spawnBerth(
                    ["--project-directory", directory, "events", "--json"], log: events)
                defer {
                    kill(watcher, SIGKILL)
                    var status: Int32 = 0
                    waitpid(watcher, &status, 0)
                }
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                // Its bind's source gone, the restart after the exit cannot start it.
                try FileManager.default.removeItem(atPath: data)
                let failed = try await eventually(within: 30) {
                    ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").contains("restart failed")
                }
                #expect(failed, "a restart failed: \((try? String(contentsOfFile: events, encoding: .utf8)) ?? "")")
                // Back in place: a later try under the policy starts it.
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                let running = try await eventually(within: 60) {
                    let ps = try psJSON(try await daemon.berthOK(["ps", "--format", "json"], in: directory).stdout)
                    return ps.first?["State"] as? String == "running"
                }
                let ps = try await daemon.berthOK(["ps", "-a"], in: directory).stdout
                #expect(running, "started again after the failed start: \(ps)")
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }
    }
}
