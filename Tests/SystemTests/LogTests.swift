import Foundation
import TestSupport
import Testing

extension SystemTests {
    /// Logs bounded on disk and in memory (issue 16, part 1 and the shim's
    /// disk full of part 7), each through the real CLI and the files the
    /// shim leaves in the container's directory.
    @Suite struct LogTests {
        /// A busybox loop printing `count` numbered lines of about 50 bytes.
        static func lines(_ count: Int) -> String {
            // `$$`: a lone `$` would be the compose file's interpolation.
            "i=0; while [ $$i -lt \(count) ]; do echo \"line $$i ..................................\"; i=$$((i+1)); done"
        }

        /// The json.log files of the daemon's containers, by name, with their sizes.
        static func logFiles(_ daemon: TestDaemon) -> [String: Int] {
            var files: [String: Int] = [:]
            let root = daemon.root + "/containers"
            for id in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + id)) ?? []
                where name.hasPrefix("json.log") {
                    let path = root + "/" + id + "/" + name
                    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                    files[name] = size ?? 0
                }
            }
            return files
        }

        /// Waits until the project's one container has exited.
        static func waitExited(_ daemon: TestDaemon, _ directory: String) async throws {
            let exited = try await eventually(within: 60) {
                let ps = try? await daemon.berth(["ps", "-a", "--format", "json"], in: directory)
                return ps.map { (try? psJSON($0.stdout))?.first?["State"] as? String == "exited" } ?? false
            }
            if !exited { throw TestFailure("the container did not exit") }
        }

        @Test func composeLoggingOptionsRotateTheLog() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: r\(daemon.prefix.dropFirst(5))
                    services:
                      talk:
                        image: busybox
                        command: ["sh", "-c", \(String(reflecting: Self.lines(20000)))]
                        logging:
                          driver: json-file
                          options: {max-size: 100k, max-file: "3"}
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                try await Self.waitExited(daemon, directory)
                let files = Self.logFiles(daemon)
                #expect(files.count <= 3 && files.count >= 2, "\(files)")
                #expect(files.values.allSatisfy { $0 <= 100 * 1024 + 200 }, "\(files)")
                let tail = try await daemon.berthOK(["logs", "--tail", "3", "--no-log-prefix"], in: directory)
                let expected = (19997...19999).map { "line \($0) ..................................\n" }.joined()
                #expect(tail.stdout == expected, "\(tail.stdout)")
                // A tail longer than the live file: read back across the rotated one, in order.
                let long = try await daemon.berthOK(["logs", "--tail", "1500", "--no-log-prefix"], in: directory)
                let numbers = long.stdout.split(separator: "\n").compactMap { Int($0.split(separator: " ")[1]) }
                #expect(
                    numbers == Array(18500...19999), "\(numbers.count): \(numbers.prefix(3)) … \(numbers.suffix(3))")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func compressGzipsTheRotatedFilesAndLogsReadsThemBack() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: z\(daemon.prefix.dropFirst(5))
                    services:
                      talk:
                        image: busybox
                        command: ["sh", "-c", \(String(reflecting: Self.lines(20000)))]
                        logging:
                          options: {max-size: 100k, max-file: "3", compress: "true"}
                    """)
                let up = try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                #expect(!up.stderr.contains("compress"), "no WARN for compress: \(up.stderr)")
                try await Self.waitExited(daemon, directory)
                // The shim compresses behind the output; it is done when no plain rotated file is left.
                let settled = try await eventually(within: 30) {
                    Set(Self.logFiles(daemon).keys) == ["json.log", "json.log.1.gz", "json.log.2.gz"]
                }
                #expect(settled, "\(Self.logFiles(daemon))")
                // gzip itself reads them: docker's json lines, in order across the files.
                let containers = daemon.root + "/containers"
                let id = try #require(try FileManager.default.contentsOfDirectory(atPath: containers).first)
                let older = try await sh("gzip", "-dc", "\(containers)/\(id)/json.log.2.gz")
                let newer = try await sh("gzip", "-dc", "\(containers)/\(id)/json.log.1.gz")
                #expect(older.hasPrefix("{\"log\":\"line "), "\(older.prefix(80))")
                #expect(newer.utf8.count > 90 * 1024, "a rotated file holds about max-size of text")
                // All of it, and a tail reaching into both compressed files, come back in order.
                let all = try await daemon.berthOK(["logs", "--no-log-prefix"], in: directory)
                let numbers = all.stdout.split(separator: "\n").compactMap { Int($0.split(separator: " ")[1]) }
                let first = try #require(numbers.first)
                #expect(numbers == Array(first...19999), "\(numbers.count): \(numbers.prefix(3)) …")
                #expect(first > 0 && numbers.count > 1500, "three files of 100k hold about 2300 entries")
                let tail = try await daemon.berthOK(
                    ["logs", "--tail", "\(numbers.count - 10)", "--no-log-prefix"], in: directory)
                #expect(tail.stdout.split(separator: "\n").count == numbers.count - 10)
                #expect(tail.stdout.hasPrefix("line \(first + 10) "), "\(tail.stdout.prefix(60))")
                try await daemon.berthOK(["down"], in: directory)
                #expect(Self.logFiles(daemon).isEmpty, "no temporary file left behind")
            }
        }

        @Test func daemonJSONLogOptsApplyWhenTheServiceSetsNone() async throws {
            try await withDaemon(start: false) { daemon in
                let config = daemon.root + "/daemon.json"
                try #"{"log-driver": "json-file", "log-opts": {"max-size": "50k", "max-file": "2"}}"#
                    .write(toFile: config, atomically: true, encoding: .utf8)
                try await daemon.start(["--config-file", config])
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: d\(daemon.prefix.dropFirst(5))
                    services:
                      talk:
                        image: busybox
                        command: ["sh", "-c", \(String(reflecting: Self.lines(10000)))]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                try await Self.waitExited(daemon, directory)
                let files = Self.logFiles(daemon)
                #expect(files.count == 2, "\(files)")
                #expect(files.values.allSatisfy { $0 <= 50 * 1024 + 200 }, "\(files)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func driverNoneKeepsNothingAndLogsSaysSo() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: n\(daemon.prefix.dropFirst(5))
                    services:
                      quiet:
                        image: busybox
                        command: ["sh", "-c", "echo secret-line"]
                        logging: {driver: none}
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                try await Self.waitExited(daemon, directory)
                #expect(Self.logFiles(daemon).values.allSatisfy { $0 == 0 }, "\(Self.logFiles(daemon))")
                let logs = try await daemon.berth(["logs", "quiet"], in: directory)
                #expect(!logs.stdout.contains("secret-line"), "\(logs.stdout)")
                #expect(
                    logs.stderr.contains("configured logging driver does not support reading"),
                    "\(logs.status) \(logs.stderr)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        @Test func anUnknownDriverFailsUpWithItsPlace() async throws {
            try await withDaemon { daemon in
                let directory = try writeProject(
                    daemon,
                    """
                    name: u\(daemon.prefix.dropFirst(5))
                    services:
                      talk:
                        image: busybox
                        logging:
                          driver: carrier-pigeon
                    """)
                let up = try await daemon.berth(["up", "-d", "--progress", "quiet"], in: directory)
                #expect(up.status != 0)
                #expect(up.stderr.contains("compose.yaml:6:"), "\(up.stderr)")
                #expect(up.stderr.contains("logging driver \"carrier-pigeon\" is not supported"), "\(up.stderr)")
            }
        }

        @Test func aLongLineComesBackAsOneLine() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: l\(daemon.prefix.dropFirst(5))
                    services:
                      long:
                        image: busybox
                        command: ["sh", "-c", "head -c 40960 /dev/zero | tr '\\\\0' a; echo; echo short"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                try await Self.waitExited(daemon, directory)
                let logs = try await daemon.berthOK(["logs", "--no-log-prefix"], in: directory)
                #expect(logs.stdout == String(repeating: "a", count: 40960) + "\nshort\n", "\(logs.stdout.count)")
                let tail = try await daemon.berthOK(["logs", "--no-log-prefix", "--tail", "2"], in: directory)
                #expect(tail.stdout == logs.stdout, "\(tail.stdout.count)")
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        /// The shim stamps a whole read of output with one time, so a
        /// program repeating a line writes many entries alike: `logs -f`
        /// printed one of each (it took them for lines read twice).
        @Test func followPrintsEveryOneOfManyEqualLines() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: e\(daemon.prefix.dropFirst(5))
                    services:
                      same:
                        image: busybox
                        command: ["sh", "-c", "yes same | head -n 5000"]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                try await Self.waitExited(daemon, directory)
                for arguments in [["logs"], ["logs", "-f"], ["logs", "--tail", "4000"]] {
                    let output = try await daemon.berthOK(arguments + ["--no-log-prefix"], in: directory)
                    let count = arguments.contains("--tail") ? 4000 : 5000
                    #expect(output.stdout == String(repeating: "same\n", count: count), "\(arguments)")
                }
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }

        /// Whether berthd has one of the daemon's json.log files open, as
        /// /proc shows its descriptors (berthd reads the log while a
        /// `logs` client takes it, and only then).
        static func readsALog(_ daemon: TestDaemon) -> Bool {
            guard let pid = daemon.daemonPID() else { return false }
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            return fds.contains { fd in
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? ""
                return target.hasPrefix(daemon.root + "/containers/") && target.contains("/json.log")
            }
        }

        /// A client that goes away stops berthd's reading at once: a `logs`
        /// stalled on a full pipe (berthd blocked writing to it, the log open)
        /// is killed, and berthd closes the log; the same for `logs -f`.
        @Test(arguments: [false, true])
        func aClientThatGoesAwayStopsTheReading(follow: Bool) async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                // 300,000 lines of 100 bytes: far more than the pipes and sockets between hold.
                let command =
                    "yes \(String(repeating: "x", count: 99)) | head -n 300000; trap exit TERM; sleep 600 & wait"
                let directory = try writeProject(
                    daemon,
                    """
                    name: g\(daemon.prefix.dropFirst(5))
                    services:
                      loud:
                        image: busybox
                        command: ["sh", "-c", \(String(reflecting: command))]
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                let written = try await eventually(within: 60) {
                    (Self.logFiles(daemon)["json.log"] ?? 0) > 300_000 * 100
                }
                #expect(written, "\(Self.logFiles(daemon))")
                // The client's output: a fifo the test opens and never reads,
                // so the client stops once the pipe holds 64 KiB.
                let fifo = daemon.root + "/stalled-client.fifo"
                #expect(mkfifo(fifo, 0o600) == 0)
                let reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
                defer { if reader >= 0 { close(reader) } }
                let arguments = ["logs", "--no-log-prefix"] + (follow ? ["-f"] : [])
                let client = try daemon.spawnBerth(arguments, in: directory, log: fifo)
                defer { kill(client, SIGKILL) }
                // The client is stalled once its pipe is full (FIONREAD: about
                // 64 KiB waiting; whole lines of `-f` leave the last bytes
                // free); berthd then waits for it, the log still open.
                let stalled = try await eventually(within: 30) {
                    var waiting: Int32 = 0
                    return ioctl(reader, UInt(0x541B), &waiting) == 0 && waiting >= 60000
                }
                #expect(stalled, "the client never filled its pipe")
                #expect(Self.readsALog(daemon), "berthd had stopped reading before the client went away")
                kill(client, SIGKILL)
                var status: Int32 = 0
                _ = waitpid(client, &status, 0)
                let stopped = try await eventually(within: 60) { !Self.readsALog(daemon) }
                #expect(stopped, "berthd still reads the log of a client that is gone")
                // And it goes on serving.
                let tail = try await daemon.berthOK(["logs", "--tail", "1", "--no-log-prefix"], in: directory)
                #expect(tail.stdout == String(repeating: "x", count: 99) + "\n")
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }

        @Test func aFullDiskDropsLinesWithoutBlockingAndSaysHowMany() async throws {
            try await withDaemon(start: false) { daemon in
                // The containers' directories (bundles, json.log) on a 3 MiB disk.
                let containers = daemon.root + "/containers"
                try FileManager.default.createDirectory(atPath: containers, withIntermediateDirectories: true)
                let mounted = try await run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", containers])
                guard mounted.status == 0 else { throw TestFailure("mount tmpfs: \(mounted.stderr)") }
                try await daemon.start()
                try await BusyboxImage.load(into: daemon)
                // A directory of the host's, off the full disk, to signal through.
                let signal = daemon.root + "/signal"
                try FileManager.default.createDirectory(atPath: signal, withIntermediateDirectories: true)
                let directory = try writeProject(
                    daemon,
                    """
                    name: f\(daemon.prefix.dropFirst(5))
                    services:
                      loud:
                        image: busybox
                        init: true
                        volumes: ["\(signal):/signal"]
                        command:
                          - sh
                          - -c
                          - \(String(reflecting: Self.lines(100000) + "; touch /signal/filled; while [ ! -e /signal/go ]; do sleep 0.1; done; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo after-the-disk-filled; sleep 0.2; done"))
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                // 5 MB of lines on a 3 MiB disk: the container is not held up.
                let filled = try await eventually(within: 60) {
                    FileManager.default.fileExists(atPath: signal + "/filled")
                }
                #expect(filled, "the container never got past its output")
                // Room again, then one more line: the log says what it lost.
                let id = (try? FileManager.default.contentsOfDirectory(atPath: containers))?.first ?? ""
                _ = try await run(["truncate", "-s", "0", containers + "/" + id + "/json.log"])
                FileManager.default.createFile(atPath: signal + "/go", contents: nil)
                var logs = ""
                let recovered = try await eventually(within: 30) {
                    let output = try? await daemon.berth(["logs", "--no-log-prefix"], in: directory)
                    logs = (output?.stdout ?? "") + (output?.stderr ?? "")
                    return logs.contains("after-the-disk-filled")
                }
                #expect(recovered, "\(logs.suffix(500))")
                #expect(logs.contains("lines dropped"), "\(logs.suffix(500))")
                let shimLog = (try? String(contentsOfFile: containers + "/" + id + "/shim.log", encoding: .utf8)) ?? ""
                let failures = shimLog.split(separator: "\n").filter { $0.contains("json.log") }
                #expect(failures.count <= 3, "one note per failure: \(failures.count)")
                try await daemon.berthOK(["down", "-t", "0"], in: directory)
            }
        }
    }
}
