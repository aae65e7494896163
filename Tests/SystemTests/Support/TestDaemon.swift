import CLinux
import Foundation
import Glibc
import HostOS
import TestSupport
import Testing

/// One berthd of a system test: its own root under /tmp/berth-st-*, socket,
/// interface prefix (`berth` + 4 hex), nft table, cgroup and /24s of
/// 10.214.0.0/16, so tests run side by side. `stop()` takes everything it
/// made off the host even when the test failed: processes, crun state,
/// mounts, links, the nft table, cgroups and the root.
final class TestDaemon: @unchecked Sendable {
    let root: String
    private let scratch: ScratchDirectory
    let socket: String
    let prefix: String
    let pool: String
    private(set) var pid: pid_t = 0

    /// The binaries `swift test` built, next to the test bundle.
    static let binaries: String = {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("berthd").path) {
                return dir.path
            }
            dir = dir.deletingLastPathComponent()
        }
        return repository + "/.build/debug"
    }()

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path

    /// The environment every `berth` of this test runs with: it names this
    /// daemon's socket and root, so a `berth` that has to start berthd
    /// starts this one.
    var environment: [String: String] {
        [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": root, "BERTH_HOST": socket, "BERTH_ROOT": root,
            "BERTH_NAME_PREFIX": prefix, "BERTH_SUBNET_POOL": pool,
        ]
    }

    init() throws {
        scratch = try ScratchDirectory(prefix: "berth-st")
        root = scratch.path
        socket = root + "/berth.sock"
        prefix = "berth" + String(UInt16.random(in: 0x1000...0xFFFF), radix: 16)
        pool = try Self.freshPool()
    }

    /// A /22 of 10.214.0.0/16 no host route touches, cut into /24s.
    static func freshPool() throws -> String {
        let routes = (try? String(contentsOfFile: "/proc/net/route", encoding: .utf8)) ?? ""
        let used = Set(
            routes.split(separator: "\n").dropFirst().compactMap { line -> UInt32? in
                let fields = line.split(separator: "\t")
                guard fields.count > 1, let value = UInt32(fields[1], radix: 16) else { return nil }
                return value.byteSwapped
            })
        for _ in 0..<200 {
            let third = UInt32.random(in: 0..<64) * 4
            let base = (10 << 24) | (214 << 16) | (third << 8)
            if !(0..<4).contains(where: { used.contains(base | ($0 << 8)) }) { return "10.214.\(third).0/22/24" }
        }
        throw HostOSError(.invalidArgument, "no free /22 in 10.214.0.0/16")
    }

    /// Starts berthd and waits until its socket accepts connections;
    /// `arguments` are added to its command line.
    func start(_ extra: [String] = []) async throws {
        let log = root + "/berthd.log"
        let arguments =
            [
                Self.binaries + "/berthd", "--root", root, "--socket", socket, "--name-prefix", prefix, "--subnet-pool",
                pool,
                "--log-level", "debug",
            ] + extra
        pid = try spawn(arguments, log: log)
        let started = try await eventually(within: 20) { Self.answers(self.socket) }
        if !started {
            throw TestFailure("berthd did not come up:\n" + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
        }
    }

    /// True when something accepts a connection on the unix socket.
    static func answers(_ path: String) -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, byte) in bytes.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    /// What this daemon's containers and networks put on the host, which
    /// `down` takes away again: links with its prefix, its nft table,
    /// mounts under its root, processes in its cgroups.
    var footprint: HostFootprint {
        HostFootprint(linkPrefixes: [prefix], nftTables: [prefix], roots: [root], cgroupPrefixes: [prefix])
    }

    /// `footprint` and every process that names the root: berthd, its shims.
    var wholeFootprint: HostFootprint {
        var whole = footprint
        whole.processMarkers = [root]
        return whole
    }

    /// berthd's pid: the one this daemon started, or the one `berth` started.
    func daemonPID() -> pid_t? {
        HostFootprint(processMarkers: [root]).processes().first {
            $0.commandLine.hasPrefix(Self.binaries + "/berthd ")
        }?.pid
    }

    /// Runs `berth ARGS` against this daemon.
    @discardableResult
    func berth(
        _ arguments: [String], in directory: String? = nil, environment extra: [String: String] = [:],
        input: String = ""
    ) async throws -> Output {
        try await run(
            [Self.binaries + "/berth"] + arguments, in: directory, environment: environment.merging(extra) { $1 },
            input: input)
    }

    /// Starts `berth ARGS` against this daemon without waiting for it (in
    /// `directory` when given), its output going to `log`; returns its pid.
    func spawnBerth(_ arguments: [String], in directory: String? = nil, log: String) throws -> pid_t {
        let variables = environment.map { "\($0.key)=\($0.value)" }.sorted()
        let place = directory.map { ["-C", $0] } ?? []
        return try spawn(["/usr/bin/env", "-i"] + place + variables + [Self.binaries + "/berth"] + arguments, log: log)
    }

    /// Runs `berth ARGS` and fails the test with its output unless it exits 0.
    @discardableResult
    func berthOK(_ arguments: [String], in directory: String? = nil, environment extra: [String: String] = [:])
        async throws -> Output
    {
        let output = try await berth(arguments, in: directory, environment: extra)
        guard output.status == 0 else {
            throw TestFailure(
                "berth \(arguments.joined(separator: " ")) exited \(output.status):\n\(output.stdout)\n\(output.stderr)\n--- berthd log:\n\(logTail())"
            )
        }
        return output
    }

    func logTail(_ lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: root + "/berthd.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Takes everything this daemon made off the host.
    func stop() async {
        let daemon = daemonPID() ?? (pid > 0 ? pid : nil)
        if let daemon {
            kill(daemon, SIGTERM)
            _ = try? await eventually(within: 10) { kill(daemon, 0) != 0 || Self.isZombie(daemon) }
            kill(daemon, SIGKILL)
        }
        if pid > 0 { var status: Int32 = 0; waitpid(pid, &status, 0) }
        // Containers: their processes live in cgroups under /<prefix>; shims name the root.
        for process in wholeFootprint.processes() { kill(process.pid, SIGKILL) }
        let containers = (try? FileManager.default.contentsOfDirectory(atPath: root + "/containers")) ?? []
        for id in containers { _ = try? await run(["crun", "delete", "--force", id]) }
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        let points = mounts.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            let point = fields[1].replacingOccurrences(of: "\\040", with: " ")
            return point.hasPrefix(root) ? point : nil
        }
        for point in points.sorted(by: { $0.count > $1.count }) { umount2(point, Int32(MNT_DETACH)) }
        let links = (try? await run(["ip", "-o", "link", "show"]))?.stdout ?? ""
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: ":")
            guard fields.count > 1 else { continue }
            let name = fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
            if name.hasPrefix(prefix) { _ = try? await run(["ip", "link", "del", name]) }
        }
        _ = try? await run(["nft", "delete", "table", "inet", prefix])
        for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            let directory = "/sys/fs/cgroup/\(controller)/\(prefix)"
            guard access(directory, F_OK) == 0 else { continue }
            _ = try? await run(["find", directory, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"])
        }
        if access("/sys/fs/cgroup/\(prefix)", F_OK) == 0 {
            _ = try? await run([
                "find", "/sys/fs/cgroup/\(prefix)", "-depth", "-type", "d", "-exec", "rmdir", "{}", ";",
            ])
        }
        try? scratch.remove()
    }

    /// What of this daemon's containers and networks is still on the host,
    /// one line per thing; empty when clean.
    func leftovers() async -> [String] {
        await footprint.leftovers()
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}

/// What a command printed and how it ended.
struct Output: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a command with the given environment (default: PATH only), its
/// signal mask cleared, and returns its output; killed after `timeout` seconds.
func run(
    _ arguments: [String], in directory: String? = nil,
    environment: [String: String] = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], timeout: Int = 180, input: String = ""
) async throws -> Output {
    let command = HostOS.Command(
        arguments, environment: environment, workingDirectory: directory, standardInput: Array(input.utf8),
        timeout: .seconds(timeout))
    let result = try await ProcessRunner().run(command)
    let status: Int32
    switch result.termination {
    case .exited(let code): status = code
    case .signaled(let signal): status = 128 + signal
    }
    return Output(status: status, stdout: result.output, stderr: result.errorOutput)
}

/// Starts a long-running process whose output goes to `log`; returns its pid.
func spawn(_ arguments: [String], log: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else of the test process: its NIO sockets lack O_CLOEXEC, and a
    // berthd holding a port proxy's listener of a test running alongside kept
    // that port taken ("already in use" when the test published it again).
    berth_spawn_file_actions_addclosefrom(&actions, 3)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    let argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
    guard result == 0 else { throw TestFailure("cannot start \(arguments[0]): \(String(cString: strerror(result)))") }
    return pid
}

/// A TCP port nothing listens on now.
func freePort() -> Int {
    let (fd, port) = loopbackSocket()
    close(fd)
    return port
}

/// A TCP socket bound to a free port on 127.0.0.1, and the port; the caller closes it.
func loopbackSocket() -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
