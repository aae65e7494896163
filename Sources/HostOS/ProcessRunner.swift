import CLinux
import Glibc

/// The real `CommandRunner`: posix_spawn, pipes for stdio, a pidfd for the
/// exit, one poll loop on a dedicated thread.
///
/// The child gets its own process group so a timeout can kill what it
/// started too; a clean signal mask and default dispositions, because
/// ignored signals and the mask survive exec (a berthd that ignores SIGPIPE
/// would otherwise hand that to crun); and only fds 0–2, so netlink
/// sockets and netns fds never leak into it.
public struct ProcessRunner: CommandRunner {
    /// A runner.
    public init() {}

    /// Runs on a dedicated thread: the loop blocks in poll, which must not
    /// hold a thread of Swift's cooperative pool.
    public func run(_ command: Command) async throws -> CommandResult {
        try await DedicatedThread.run { try self.runBlocking(command) }
    }

    /// Runs `command` on the calling thread, blocking it until the child
    /// exits (or its timeout kills it).
    public func runBlocking(_ command: Command) throws -> CommandResult {
        guard let program = command.arguments.first else {
            throw HostOSError.invalid("run: empty argv")
        }
        let environment = command.environment.map { $0.map { "\($0.key)=\($0.value)" }.sorted() }
        let executable = try Self.resolve(program, path: command.environment?["PATH"] ?? Self.inheritedPath())
        var child = try SpawnedChild(
            executable: executable, command: command, environment: environment)
        return try child.collect(deadline: command.timeout.map { Self.now() + $0 })
    }

    /// PATH lookup against the child's PATH (not ours, as posix_spawnp
    /// would do): the command's environment decides what it runs.
    static func resolve(_ program: String, path: String) throws -> String {
        if program.contains("/") { return program }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw HostOSError(.command, "run \"\(program)\": not found in PATH \(path)", errno: ENOENT)
    }

    static func inheritedPath() -> String {
        getenv("PATH").map { String(cString: $0) } ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    }

    static func now() -> ContinuousClock.Instant { ContinuousClock.now }
}

/// A spawned child and our ends of its pipes, until `collect` reaps it.
private struct SpawnedChild {
    let pid: pid_t
    let command: Command
    private var pidfd: Int32
    private var input: Int32
    private var output: Int32
    private var error: Int32

    init(executable: String, command: Command, environment: [String]?) throws {
        self.command = command
        var pipes: [[Int32]] = []
        defer { for pipe in pipes { for fd in pipe where fd >= 0 { Syscall.close(fd) } } }
        for _ in 0..<3 {
            var fds: [Int32] = [-1, -1]
            try Syscall.check("run \"\(command)\": pipe") { berth_pipe_cloexec(&fds) }
            pipes.append(fds)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if command.standardInput.isEmpty {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, pipes[0][0], 0)
        }
        posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 2)
        berth_spawn_file_actions_addclosefrom(&actions, 3)
        if let directory = command.workingDirectory {
            berth_spawn_file_actions_addchdir(&actions, directory)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigfillset(&signals)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var pid: pid_t = 0
        let argv = CStringArray(command.arguments)
        let envp = environment.map(CStringArray.init)
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv.pointers, envp?.pointers ?? environ)
        if rc != 0 {
            // A bad working directory fails the spawn too; say which it was.
            let place = command.workingDirectory.map { " in \"\($0)\"" } ?? ""
            throw HostOSError(.command, "run \"\(command)\"\(place)", errno: rc)
        }
        self.pid = pid
        // A pidfd turns the exit into one more fd for poll, and cannot be
        // confused by pid reuse; pre-5.3 kernels fall back to a 10 ms poll.
        self.pidfd = berth_pidfd_open(pid, 0)
        input = pipes[0][1]
        output = pipes[1][0]
        error = pipes[2][0]
        pipes[0][1] = -1
        pipes[1][0] = -1
        pipes[2][0] = -1
        for fd in [input, output, error] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        if command.standardInput.isEmpty {
            Syscall.close(input)
            input = -1
        }
    }

    /// Feeds stdin, drains stdout and stderr, waits for the exit, reaps.
    mutating func collect(deadline: ContinuousClock.Instant?) throws -> CommandResult {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var pending = command.standardInput[...]
        var exited = false
        defer {
            for fd in [input, output, error, pidfd] where fd >= 0 { Syscall.close(fd) }
        }
        while !exited || output >= 0 || error >= 0 {
            if exited {
                // The child is gone, but a grandchild (a daemonizing crun)
                // may hold the pipes open for ever: take what is already
                // buffered and stop.
                Self.drain(&output, into: &stdout, untilEmpty: true)
                Self.drain(&error, into: &stderr, untilEmpty: true)
                break
            }
            var fds: [pollfd] = []
            if input >= 0 { fds.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            if output >= 0 { fds.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
            if error >= 0 { fds.append(pollfd(fd: error, events: Int16(POLLIN), revents: 0)) }
            if pidfd >= 0 { fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
            var timeout: Int32 = pidfd >= 0 ? -1 : 10
            if let deadline {
                let left = deadline - ProcessRunner.now()
                if left <= .zero { return try killAfterTimeout(stderr: stderr) }
                let (seconds, attoseconds) = left.components
                let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
                timeout = timeout < 0 ? Int32(clamping: milliseconds) : min(timeout, Int32(clamping: milliseconds))
            }
            let ready = Syscall.retrying { poll(&fds, nfds_t(fds.count), timeout) }
            if ready == -1 {
                let failure = errno
                throw HostOSError.syscall("run \"\(command)\": poll", errno: failure)
            }
            if input >= 0 { feed(&pending) }
            Self.drain(&output, into: &stdout, untilEmpty: false)
            Self.drain(&error, into: &stderr, untilEmpty: false)
            exited = pidfd >= 0 ? fds.last.map { $0.revents != 0 } ?? false : hasExited()
        }
        return CommandResult(command: command, termination: try reap(), standardOutput: stdout, standardError: stderr)
    }

    /// Writes what the pipe takes now. SIGPIPE is blocked around the write
    /// (a child that closed stdin would otherwise kill this whole process)
    /// and a SIGPIPE it raised is consumed before unblocking.
    private mutating func feed(_ pending: inout ArraySlice<UInt8>) {
        var block = sigset_t()
        var previous = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, &previous)
        let written = pending.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
        let failure = errno
        if written == -1 && failure == EPIPE {
            var none = timespec()
            _ = sigtimedwait(&block, nil, &none)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        if written > 0 { pending = pending.dropFirst(written) }
        if pending.isEmpty || (written == -1 && failure != EAGAIN && failure != EINTR) {
            Syscall.close(input)
            input = -1
        }
    }

    /// Reads until EAGAIN (or, with `untilEmpty`, also stops there after
    /// the exit); closes the fd at EOF.
    private static func drain(_ fd: inout Int32, into bytes: inout [UInt8], untilEmpty: Bool) {
        guard fd >= 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = Syscall.retrying { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if count > 0 {
                bytes.append(contentsOf: chunk[0..<count])
                continue
            }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                Syscall.close(fd)
                fd = -1
            }
            return
        }
    }

    /// Without a pidfd: a non-blocking wait that leaves the zombie for reap.
    private func hasExited() -> Bool {
        var info = siginfo_t()
        let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        return rc == 0 && info._sifields._sigchld.si_pid == pid
    }

    private func killAfterTimeout(stderr: [UInt8]) throws -> CommandResult {
        // The group first: the leader is our unreaped child, so its pgid
        // cannot have been reused. Then the pidfd, for a child that left
        // the group with setsid.
        kill(-pid, SIGKILL)
        if pidfd >= 0 { _ = berth_pidfd_send_signal(pidfd, SIGKILL) }
        _ = try? reap()
        let said = String(decoding: stderr, as: UTF8.self).trimmingWhitespace()
        let limit = command.timeout.map { "\($0)" } ?? "its deadline"
        throw HostOSError(
            .timeout, "command \"\(command)\" timed out after \(limit)", detail: said.isEmpty ? nil : said)
    }

    /// waitpid, decoding the status by hand: WIFEXITED and friends are
    /// macros Swift cannot import (low 7 bits: the signal, 0 for an exit;
    /// next 8 bits: the exit status).
    private func reap() throws -> Termination {
        var status: Int32 = 0
        try Syscall.check("run \"\(command)\": waitpid") { waitpid(pid, &status, 0) }
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }
}

/// A NULL-terminated `char *[]` that owns its strings.
private final class CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(pointers[index]) }
        pointers.deallocate()
    }
}
