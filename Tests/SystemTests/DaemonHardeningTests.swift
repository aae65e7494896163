import Foundation
import Glibc
import TestSupport
import Testing

extension SystemTests {
    /// One berthd per root whatever races, a root no other user can read,
    /// and a daemon that closes what it cannot hold: checked with the real
    /// binaries, /proc, stat(2) and `setpriv` as nobody.
    @Suite struct DaemonHardeningTests {
        static let idle = #"["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]"#

        // MARK: One berthd per root

        @Test func twoBerthdStartedAtOnceOnOneRootLeaveOne() async throws {
            try await withDaemon(start: false) { daemon in
                let pids = try ["a", "b"].map { name in
                    try spawn(
                        Self.berthd(daemon, socket: daemon.root + "/\(name).sock"), log: daemon.root + "/\(name).log")
                }
                defer { Self.reap(pids) }
                // One of them exits at once, non-zero; the other serves.
                var exits: [pid_t: Int32] = [:]
                let settled = try await eventually(within: 20) {
                    for pid in pids where exits[pid] == nil {
                        var status: Int32 = 0
                        if waitpid(pid, &status, WNOHANG) == pid { exits[pid] = status }
                    }
                    let answering = ["a", "b"].filter { TestDaemon.answers(daemon.root + "/\($0).sock") }
                    return exits.count == 1 && answering.count == 1
                }
                #expect(settled, "exits: \(exits)")
                let loser = try #require(exits.first)
                #expect(loser.value >> 8 != 0, "the second berthd exited with status 0")
                let log =
                    (try? String(
                        contentsOfFile: daemon.root + "/\(loser.key == pids[0] ? "a" : "b").log", encoding: .utf8))
                    ?? ""
                #expect(log.contains("berthd.lock"), "\(log)")
                #expect(Self.berthdProcesses(daemon).count == 1)
            }
        }

        @Test func aSecondBerthdLeavesTheContainersOfTheFirstAlone() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: lock\(daemon.prefix.dropFirst(5))
                    services:
                      app:
                        image: busybox
                        command: \(Self.idle)
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory)
                let before = try Self.containerPIDs(daemon)
                #expect(before.count == 1)
                let links = try await Self.links(daemon)
                #expect(!links.isEmpty)
                let second = daemon.root + "/second.sock"
                let pid = try spawn(Self.berthd(daemon, socket: second), log: daemon.root + "/second.log")
                defer { Self.reap([pid]) }
                var status: Int32 = 0
                let exited = try await eventually(within: 20) { waitpid(pid, &status, WNOHANG) == pid }
                #expect(exited, "a second berthd on the same root kept running")
                #expect(status >> 8 != 0)
                let log = (try? String(contentsOfFile: daemon.root + "/second.log", encoding: .utf8)) ?? ""
                #expect(log.contains("another berthd"), "\(log)")
                #expect(access(second, F_OK) != 0, "the second berthd made its socket")
                // The first's container runs on, the same process, its links all there.
                #expect(try Self.containerPIDs(daemon) == before)
                #expect(before.allSatisfy { kill($0, 0) == 0 })
                #expect(try await Self.links(daemon) == links)
                let ps = try await daemon.berthOK(["ps", "--format", "json"], in: directory)
                #expect(try psJSON(ps.stdout).map { $0["State"] as? String } == ["running"], "\(ps.stdout)")
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func aSecondBerthdStartedDuringAnUpLeavesItsWorkAlone() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let services = (1...4).map { "  app\($0):\n    image: busybox\n    command: \(Self.idle)\n" }
                let directory = try writeProject(
                    daemon, "name: race\(daemon.prefix.dropFirst(5))\nservices:\n" + services.joined())
                async let up = daemon.berth(["up", "-d", "--progress", "plain"], in: directory)
                // As soon as the up has begun making containers.
                _ = try await eventually(within: 20) {
                    !((try? FileManager.default.contentsOfDirectory(atPath: daemon.root + "/containers")) ?? []).isEmpty
                }
                let pid = try spawn(
                    Self.berthd(daemon, socket: daemon.root + "/second.sock"), log: daemon.root + "/second.log")
                defer { Self.reap([pid]) }
                var status: Int32 = 0
                let exited = try await eventually(within: 20) { waitpid(pid, &status, WNOHANG) == pid }
                #expect(exited, "a second berthd on the same root kept running")
                #expect(status >> 8 != 0)
                let finished = try await up
                #expect(finished.status == 0, "\(finished.stderr)")
                let ps = try await daemon.berthOK(["ps", "--format", "json"], in: directory)
                let states = try psJSON(ps.stdout).map { $0["State"] as? String }
                #expect(states == Array(repeating: "running", count: 4), "\(ps.stdout)")
                #expect(try Self.containerPIDs(daemon).allSatisfy { kill($0, 0) == 0 })
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func fiveCommandsAtOnceStartOneBerthd() async throws {
            try await withDaemon(start: false) { daemon in
                let outputs = try await withThrowingTaskGroup(of: Output.self) { group in
                    for _ in 0..<5 { group.addTask { try await daemon.berth(["ls"]) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for output in outputs { #expect(output.status == 0, "\(output.stderr)") }
                let started = outputs.filter { $0.stderr.contains("started berthd") }
                #expect(started.count == 1, "\(outputs.map(\.stderr))")
                #expect(Self.berthdProcesses(daemon).count == 1)
            }
        }

        @Test func anAutostartedBerthdTakesItsSettingsFromDaemonJSON() async throws {
            try await withDaemon(start: false) { daemon in
                let config = daemon.root + "/daemon.json"
                let settings: [String: String] = [
                    "root": daemon.root, "socket": daemon.socket, "name-prefix": daemon.prefix,
                    "subnet-pool": daemon.pool,
                ]
                try JSONSerialization.data(withJSONObject: settings).write(to: URL(fileURLWithPath: config))
                // Only the file names them: no variable does.
                let environment = [
                    "BERTH_DAEMON_CONFIG": config, "BERTH_ROOT": "", "BERTH_HOST": "", "BERTH_NAME_PREFIX": "",
                    "BERTH_SUBNET_POOL": "",
                ]
                let imported = try await daemon.berthOK(
                    ["image", "import", BusyboxImage.path], environment: environment)
                #expect(imported.stderr.contains("started berthd"), "\(imported.stderr)")
                let pid = try #require(daemon.daemonPID())
                let commandLine = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
                    .split(separator: "\0").map(String.init)
                #expect(commandLine.dropFirst() == ["--socket", daemon.socket], "\(commandLine)")
                let lock = try String(contentsOfFile: daemon.root + "/berthd.lock", encoding: .utf8)
                #expect(lock.trimmingCharacters(in: .whitespacesAndNewlines) == "\(pid)")
                let directory = try writeProject(
                    daemon,
                    """
                    name: conf\(daemon.prefix.dropFirst(5))
                    services:
                      app:
                        image: busybox
                        command: \(Self.idle)
                    """)
                try await daemon.berthOK(["up", "-d", "--progress", "plain"], in: directory, environment: environment)
                // Its host interfaces carry the file's prefix.
                #expect(!(try await Self.links(daemon)).isEmpty)
                try await daemon.berthOK(["down", "-t", "1"], in: directory, environment: environment)
            }
        }

        // MARK: Private state

        @Test func theRootIsUnreadableToOtherUsersAfterAnUpWithASecret() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let directory = try writeProject(
                    daemon,
                    """
                    name: priv\(daemon.prefix.dropFirst(5))
                    services:
                      app:
                        image: busybox
                        command: \(Self.idle)
                        environment: {API_TOKEN: hunter2-env}
                        secrets: [token]
                        healthcheck: {test: ["CMD", "true"], interval: 1s}
                      nobody:
                        image: busybox
                        user: "65534:65534"
                        command: \(Self.idle)
                        secrets: [token]
                    secrets:
                      token: {environment: TOKEN}
                    """)
                // Berth writes a secret from the environment into the container's own directory.
                try await daemon.berthOK(
                    ["up", "-d", "--wait", "--progress", "plain"], in: directory,
                    environment: ["TOKEN": "hunter2-secret"])
                // Inside, the secret is there, to root and to a non-root user.
                for service in ["app", "nobody"] {
                    let read = try await daemon.berthOK(
                        ["exec", "-T", service, "cat", "/run/secrets/token"], in: directory)
                    #expect(read.stdout == "hunter2-secret")
                    _ = try await daemon.berthOK(["exec", "-T", service, "cat", "/etc/hosts"], in: directory)
                }
                // Outside, nobody reads a thing of the root.
                let containers = try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/containers")
                var files = [daemon.root + "/supervisor.json"]
                files += try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/projects").map {
                    daemon.root + "/projects/" + $0
                }
                files += containers.map { daemon.root + "/containers/\($0)/config.json" }
                files += containers.map { daemon.root + "/containers/\($0)/files/0" }
                #expect(Self.mode(daemon.root) == 0o700)
                for file in files {
                    if file.hasSuffix("/files/0") {
                        #expect(Self.mode((file as NSString).deletingLastPathComponent) == 0o700, "\(file)")
                    } else {
                        #expect(Self.mode(file) == 0o600, "\(file)")
                    }
                    #expect(try await Self.asNobody(["cat", file]).status != 0, "nobody reads \(file)")
                }
                for id in containers {
                    #expect(Self.mode(daemon.root + "/containers/\(id)") == 0o700)
                    #expect(try await Self.asNobody(["ls", daemon.root + "/containers/\(id)/rootfs"]).status != 0)
                }
                let grep = try await Self.asNobody(["grep", "-rl", "hunter2", daemon.root])
                #expect(grep.stdout.isEmpty, "\(grep.stdout)")
                // Each file is private by itself too, not only behind the root's mode.
                chmod(daemon.root, 0o711)
                for file in files {
                    #expect(try await Self.asNobody(["cat", file]).status != 0, "nobody reads \(file) through 0711")
                }
                chmod(daemon.root, 0o700)
                try await daemon.berthOK(["down", "-t", "1"], in: directory)
            }
        }

        @Test func aRootWithPublicFilesIsMadePrivateOnStart() async throws {
            try await withDaemon(start: false) { daemon in
                let projects = daemon.root + "/projects"
                try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)
                for path in [projects + "/old.json", daemon.root + "/supervisor.json"] {
                    try "[]".write(toFile: path, atomically: false, encoding: .utf8)
                    chmod(path, 0o644)
                }
                chmod(projects, 0o755)
                chmod(daemon.root, 0o755)
                try await daemon.start()
                #expect(Self.mode(daemon.root) == 0o700)
                #expect(Self.mode(projects) == 0o700)
                #expect(Self.mode(projects + "/old.json") == 0o600)
                #expect(Self.mode(daemon.root + "/supervisor.json") == 0o600)
                #expect(try await Self.asNobody(["cat", projects + "/old.json"]).status != 0)
            }
        }

        // MARK: Connections

        @Test func aHalfSentRequestIsClosedAfterTheRequestTimeout() async throws {
            try await withDaemon(start: false) { daemon in
                try await daemon.start(["--request-timeout", "0.5"])
                let fd = try Self.connect(daemon.socket)
                defer { close(fd) }
                let partial = Array("POST /v1/ping HTTP/1.1\r\nHost: berthd\r\nContent-Length: 50\r\n\r\n{".utf8)
                _ = partial.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                var timeout = timeval(tv_sec: 20, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var byte: UInt8 = 0
                let count = read(fd, &byte, 1)
                #expect(count == 0, "the connection is still open (read \(count), errno \(errno))")
                try await daemon.berthOK(["ls"])
            }
        }

        @Test func threeHundredIdleConnectionsThenLsAnswers() async throws {
            try await withDaemon { daemon in
                var idle: [Int32] = []
                defer { idle.forEach { close($0) } }
                for _ in 0..<300 { idle.append(try Self.connect(daemon.socket)) }
                let ls = try await daemon.berthOK(["ls"])
                #expect(!ls.stderr.contains("started berthd"))
                #expect(Self.berthdProcesses(daemon).count == 1)
            }
        }

        // MARK: Helpers

        /// berthd's command line on `daemon`'s root, prefix and pool, on `socket`.
        static func berthd(_ daemon: TestDaemon, socket: String) -> [String] {
            [
                TestDaemon.binaries + "/berthd", "--root", daemon.root, "--socket", socket, "--name-prefix",
                daemon.prefix, "--subnet-pool", daemon.pool,
            ]
        }

        /// The berthd processes whose command line names `daemon`'s root.
        static func berthdProcesses(_ daemon: TestDaemon) -> [pid_t] {
            HostFootprint(processMarkers: [daemon.root]).processes()
                .filter { $0.commandLine.hasPrefix(TestDaemon.binaries + "/berthd ") && !TestDaemon.isZombie($0.pid) }
                .map(\.pid)
        }

        /// The pids of the containers' inits, as crun wrote them.
        static func containerPIDs(_ daemon: TestDaemon) throws -> [pid_t] {
            try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/containers").sorted().compactMap {
                let text = try? String(contentsOfFile: daemon.root + "/containers/\($0)/container.pid", encoding: .utf8)
                return text.flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }

        /// The host's links of `daemon`'s prefix, by name.
        static func links(_ daemon: TestDaemon) async throws -> [String] {
            try await run(["ip", "-o", "link", "show"]).stdout.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: ":")
                guard fields.count > 1 else { return nil }
                let name = fields[1].trimmingCharacters(in: .whitespaces)
                return name.hasPrefix(daemon.prefix) ? name : nil
            }.sorted()
        }

        /// Stops the berthds this test spawned itself and reaps them.
        static func reap(_ pids: [pid_t]) {
            for pid in pids where kill(pid, 0) == 0 && !TestDaemon.isZombie(pid) { kill(pid, SIGTERM) }
            for pid in pids {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }

        static func mode(_ path: String) -> mode_t? {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            return info.st_mode & 0o7777
        }

        /// `arguments` run as nobody, with no groups.
        static func asNobody(_ arguments: [String]) async throws -> Output {
            try await run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + arguments, timeout: 30)
        }

        /// A blocking connection to the unix socket at `path`.
        static func connect(_ path: String) throws -> Int32 {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8).prefix($0.count - 1)) }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard fd >= 0, connected == 0 else {
                close(fd)
                throw TestFailure("connect \(path): errno \(errno)")
            }
            return fd
        }
    }
}
