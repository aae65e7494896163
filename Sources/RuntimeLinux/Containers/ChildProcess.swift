import BerthModel
import Foundation
import HostOS

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs programs (crun, the shim) with posix_spawn: fast (vfork under the
/// hood), safe in a threaded process (no Swift runs between fork and exec),
/// and in control of exactly which descriptors the child gets.
///
/// `HostOS.CommandRunner` is meant to own this; until it exists the
/// container driver carries its own. Capture goes through socketpairs made
/// with SOCK_CLOEXEC: Glibc's Swift module has no pipe2, and a pipe made
/// without O_CLOEXEC could leak into a child spawned by another thread at
/// the same moment, which would then hold its write end and delay EOF.
enum ChildProcess {
    /// How a process ended and what it printed.
    struct Output: Sendable {
        /// The exit code, or 128 + the signal that killed it (the shell's convention).
        var status: Int32
        /// What it wrote to stdout.
        var stdout: [UInt8]
        /// What it wrote to stderr.
        var stderr: [UInt8]
        /// stderr as text, trimmed, for error messages.
        var errorText: String {
            String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    typealias OutputSink = ExecOutputSink

    /// Runs `argv` to completion with `input` (or /dev/null) as its stdin and
    /// both outputs captured, or handed to `sink` as they come and not kept.
    static func run(_ argv: [String], executable: String? = nil, input: [UInt8] = [], sink: OutputSink? = nil)
        throws -> Output
    {
        let out = try socketPair()
        let err = try socketPair()
        let stdin = input.isEmpty ? nil : try socketPair()
        let pid: pid_t
        do {
            var descriptors: [(Int32, Int32)] = [(out.1, 1), (err.1, 2)]
            if let stdin { descriptors.append((stdin.1, 0)) }
            pid = try spawn(argv, executable: executable, descriptors: descriptors)
        } catch {
            ([out.0, out.1, err.0, err.1] + (stdin.map { [$0.0, $0.1] } ?? [])).forEach { _ = close($0) }
            throw error
        }
        close(out.1)
        close(err.1)
        if let stdin { close(stdin.1) }
        let (stdout, stderr) = drain(out.0, err.0, feeding: stdin.map { ($0.0, input) }, sink: sink)
        return Output(status: try wait(pid), stdout: stdout, stderr: stderr)
    }

    /// Starts `argv` with `descriptors` (`(ours, theirs)`) dup'ed into the
    /// child and stdin from /dev/null, unless a mapping gives fd 0; stdout
    /// and stderr go to /dev/null unless mapped. Signals are unblocked and
    /// SIGPIPE is reset to its default in the child, whatever berthd did.
    /// `newProcessGroup` puts the child in a group of its own. The program
    /// is `executable` when given (argv[0] stays what the process shows).
    static func spawn(
        _ argv: [String], executable: String? = nil, descriptors: [(Int32, Int32)], newProcessGroup: Bool = false
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let mapped = Set(descriptors.map(\.1))
        for target: Int32 in [0, 1, 2] where !mapped.contains(target) {
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        for (source, target) in descriptors {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        // Nothing else of ours: a proxied connection berthd accepted (NIO
        // sets no O_CLOEXEC on those) kept open by a `crun exec` would not
        // close for its client until the exec ends.
        Syscall.closeFrom(max(3, (descriptors.map(\.1).max() ?? 0) + 1), in: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable ?? argv[0], &actions, &attributes, cArgs, environ)
        guard rc == 0 else { throw BerthError.system("spawning \(argv[0])", errno: rc) }
        return pid
    }

    /// Waits for `pid` and returns its exit code, or 128 + the killing signal.
    static func wait(_ pid: pid_t) throws -> Int32 {
        var status: Int32 = 0
        try checkSyscall("waitpid \(pid)") { waitpid(pid, &status, 0) }
        return decode(status)
    }

    /// A wait status as the shell shows it (WIFEXITED/WTERMSIG are macros
    /// Swift cannot import).
    static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// A connected pair of stream sockets, both close-on-exec from birth.
    static func socketPair() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        try checkSyscall("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }
        return (fds[0], fds[1])
    }

    /// Reads two descriptors to EOF together (one could fill its buffer
    /// while we block on the other) and closes them.
    static func drain(
        _ a: Int32, _ b: Int32, feeding input: (fd: Int32, bytes: [UInt8])? = nil, sink: OutputSink? = nil
    ) -> ([UInt8], [UInt8]) {
        var outputs: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        // The child's stdin, fed while its output is read: a child that
        // writes before it reads must not block us, nor we it.
        var written = 0
        if let input {
            _ = fcntl(input.fd, F_SETFL, fcntl(input.fd, F_GETFL) | O_NONBLOCK)
            fds.append(pollfd(fd: input.fd, events: Int16(POLLOUT), revents: 0))
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if let input, fds.count == 3, fds[2].fd >= 0, fds[2].revents != 0 {
                // MSG_NOSIGNAL: a child that exits unread gives EPIPE, not a SIGPIPE for berthd.
                let n = input.bytes.withUnsafeBytes { raw in
                    send(input.fd, raw.baseAddress.map { $0 + written }, raw.count - written, Int32(MSG_NOSIGNAL))
                }
                if n > 0 { written += n }
                if written == input.bytes.count || (n < 0 && errno != EINTR && errno != EAGAIN) || n == 0 {
                    close(input.fd)  // end of input for the child
                    fds[2].fd = -1
                }
            }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = read(fds[i].fd, &buffer, buffer.count)
                if n > 0, let sink {
                    sink(Int32(i + 1), Array(buffer[0..<n]))
                } else if n > 0 {
                    outputs[i] += buffer[0..<n]
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(fds[i].fd)
                    fds[i].fd = -1
                }
            }
        }
        for fd in fds where fd.fd >= 0 { close(fd.fd) }
        return (outputs[0], outputs[1])
    }
}
