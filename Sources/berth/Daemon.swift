import BerthModel
import DaemonAPI
import DaemonClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where berthd is, and starting it when nothing answers, so a user never
/// has to. `--host` (or `BERTH_HOST`) names another socket; `BERTH_ROOT`
/// the root a started berthd uses.
enum Daemon {
    /// `--host` (or `-H`) given before the subcommand, read from the
    /// command line when first asked for.
    static let hostOverride: String? = {
        var arguments = Array(CommandLine.arguments.dropFirst())
        return GlobalArguments.takeHost(&arguments)
    }()

    /// berthd's settings file, as the berthd this CLI would start reads it:
    /// where the socket and the root are when the environment does not say.
    static let settings: DaemonSettings = (try? DaemonSettings.load(path: DaemonSettings.path())) ?? DaemonSettings()

    static var socketPath: String {
        var host =
            hostOverride ?? variable("BERTH_HOST") ?? settings.socket ?? DaemonSettings.defaultSocket
        if host.hasPrefix("unix://") { host.removeFirst("unix://".count) }
        return host
    }

    /// The root named by `BERTH_ROOT`, which a started berthd is given; nil:
    /// berthd's own (daemon.json's, or its default).
    static var rootOverride: String? { variable("BERTH_ROOT") }

    /// An environment variable that is set and not empty.
    static func variable(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var root: String { rootOverride ?? settings.root ?? DaemonSettings.defaultRoot }

    /// A connection to a daemon that answers, started first if needed.
    static func connect() async throws -> DaemonConnection {
        let connection = DaemonConnection(socketPath: socketPath)
        do {
            _ = try await connection.call(.ping, Empty())
            return connection
        } catch let error as BerthError where error.code == .daemonUnreachable {
            try await startOnce(connection)
            return connection
        }
    }

    /// Opens a session with berthd, starting berthd first only when nothing
    /// answers: no ping before it, so an `exec` costs one connection.
    static func openSession<Request>(_ endpoint: SessionEndpoint<Request>, _ request: Request) async throws
        -> SessionSocket
    {
        do {
            return try DaemonConnection(socketPath: socketPath).openSession(endpoint, request)
        } catch let error as BerthError where error.code == .daemonUnreachable {
            return try await connect().openSession(endpoint, request)
        }
    }

    /// Starts berthd unless another `berth` does: the first to take the
    /// lock file beside the socket (`<socket>.lock`) starts it and waits for
    /// its answer; the others wait for the lock, then find it answering.
    /// Five `berth` at once start one berthd.
    static func startOnce(_ connection: DaemonConnection) async throws {
        let path = socketPath + ".lock"
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { mkdir(directory, 0o700) }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BerthError(
                .daemonUnreachable, "cannot start berthd: cannot open \(path)", cause: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw BerthError(
                    .daemonUnreachable, "cannot start berthd: cannot lock \(path)",
                    cause: String(cString: strerror(errno)))
            }
            guard ContinuousClock.now < deadline else {
                throw BerthError(
                    .daemonUnreachable, "another berth has been starting berthd for 30 s and it does not answer",
                    cause: "\(path) stays locked")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Started by whoever held the lock before us, or by hand meanwhile.
        if (try? await connection.call(.ping, Empty())) != nil { return }
        try await start(connection)
    }

    /// Starts berthd (found next to this executable, else on PATH) in its own
    /// session with its output in `<root>/berthd.log`, and waits until it
    /// answers. It is given the socket this CLI talks to, and the root only
    /// when `BERTH_ROOT` names one: the rest comes from the daemon.json it
    /// reads, as for a berthd started by hand.
    static func start(_ connection: DaemonConnection) async throws {
        let log = root + "/berthd.log"
        guard let berthd = locateBerthd() else {
            throw BerthError(
                .daemonUnreachable, "nothing answers on \(socketPath) and berthd was not found next to berth or on PATH"
            )
        }
        try? FileManager.default.createDirectory(
            atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let arguments = [berthd, "--socket", socketPath] + (rootOverride.map { ["--root", $0] } ?? [])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own session, so a Ctrl-C at this terminal does not reach it,
        // and no blocked signals inherited, so SIGTERM does.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        // Glibc's module map hides POSIX_SPAWN_SETSID (0x80, glibc >= 2.26).
        posix_spawnattr_setflags(&attributes, Int16(0x80) | Int16(POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let result = posix_spawn(&pid, berthd, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw BerthError(.daemonUnreachable, "cannot start \(berthd): \(String(cString: strerror(result)))")
        }
        FileHandleOutput.standardError("berth: started berthd (pid \(pid), root \(root), log \(log))\n")
        let deadline = ContinuousClock.now.advanced(by: .seconds(15))
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw BerthError(
                    .daemonUnreachable, "berthd could not start (exit status \(status >> 8)); see \(log)",
                    cause: lastLines(of: log))
            }
            if (try? await connection.call(.ping, Empty())) != nil { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BerthError(
            .daemonUnreachable, "berthd did not answer on \(socketPath) within 15 s; see \(log)",
            cause: lastLines(of: log))
    }

    static func locateBerthd() -> String? {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((exe as NSString).deletingLastPathComponent + "/berthd")
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/berthd")
        }
        return candidates.first { access($0, X_OK) == 0 }
    }

    static func lastLines(of path: String, count: Int = 5) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").suffix(count)
        return lines.isEmpty ? nil : lines.joined(separator: " | ")
    }
}
