import CLinux
import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs programs for tests that check the server with real clients (`dig`)
/// and a real upstream (`dnsmasq`).
///
/// Not Foundation's `Process`: it spawns children with the calling thread's
/// signal mask, and test threads block nearly every signal, so dnsmasq never
/// saw its SIGTERM and outlived the tests. Here each child starts with an
/// empty mask and default dispositions, and is reaped by its own pid.
final class Subprocess: Sendable {
    /// The child's process id.
    let pid: pid_t
    let name: String

    private init(pid: pid_t, name: String) {
        self.pid = pid
        self.name = name
    }

    /// The full path of `name` on PATH or in the sbin directories (Debian
    /// puts dnsmasq in /usr/sbin); nil when not installed.
    static func path(of name: String) -> String? {
        let directories =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/usr/bin", "/sbin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// True when `name` is installed.
    static func available(_ name: String) -> Bool { path(of: name) != nil }

    /// Starts `name` with `arguments`, stdin on /dev/null, stdout and stderr
    /// into the files given (or /dev/null).
    static func spawn(_ name: String, _ arguments: [String], stdoutPath: String? = nil, stderrPath: String? = nil)
        throws -> Subprocess
    {
        guard let executable = path(of: name) else { throw TestFailure("\(name) is not installed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Nothing else of the test process (its NIO sockets lack O_CLOEXEC):
        // a child must not hold a listener of a test running alongside.
        berth_spawn_file_actions_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], environ)
        guard result == 0 else { throw TestFailure("spawning \(name): \(String(cString: strerror(result)))") }
        return Subprocess(pid: pid, name: name)
    }

    /// The exit status once the child has exited (reaping it), nil while it runs.
    /// A child killed by signal n reports 128 + n, as shells do.
    func exitStatus() -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Waits for the child to exit, polling, for at most `timeout`.
    func wait(timeout: Duration = .seconds(60)) async throws -> Int32 {
        var status: Int32?
        try await waitUntil("\(name) exits", timeout: timeout) {
            status = exitStatus()
            return status != nil
        }
        return status ?? -1
    }

    /// SIGTERM, then SIGKILL if the child is still there after two seconds;
    /// returns once it has been reaped.
    func stop() async {
        kill(pid, SIGTERM)
        if (try? await wait(timeout: .seconds(2))) != nil { return }
        kill(pid, SIGKILL)
        _ = try? await wait(timeout: .seconds(5))
    }

    /// Runs `name` to completion and returns its exit status and output.
    static func run(_ name: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let scratch = try ScratchDirectory(prefix: "berth-dns-test")
        defer { try? scratch.remove() }
        let outputPath = scratch.path("output")
        let child = try spawn(name, arguments, stdoutPath: outputPath)
        let status: Int32
        do {
            // A deadline, not a wait: dig answers in milliseconds, but the
            // whole suite starting at once on two cores has starved it for
            // tens of seconds (dig then retries every 5 s).
            status = try await child.wait(timeout: .seconds(60))
        } catch {
            await child.stop()
            throw error
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status, output)
    }
}

/// Polls `condition` until it holds or `timeout` passes: tests wait for a
/// real state, never for a fixed time.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("timed out after \(timeout) waiting until \(what)")
}
