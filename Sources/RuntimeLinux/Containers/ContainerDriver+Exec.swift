import BerthModel
import CLinux
import Foundation
import HostOS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ContainerDriver {
    /// What every exec needs first: the container, alive, and a command.
    /// Whether it runs is read from the shim's files, not `crun state`: a
    /// probe every second per container made that crun run cost more than
    /// the probe itself.
    func requireExecutable(_ id: ContainerID, _ exec: LinuxExecSpec) throws {
        try requireExists(id)
        guard !exec.command.isEmpty else {
            throw BerthError(.invalidSpec, "exec in container \(id): no command given")
        }
        switch observe(id) {
        case .alive: break
        case .exited: throw BerthError(.invalidState, "exec in container \(id): it has exited, it is not running")
        case .lost: throw BerthError(.invalidState, "exec in container \(id): it is gone, not running")
        }
    }

    /// Runs `exec` inside the running container and waits for it, as
    /// `docker exec` does: the container's process settings (capabilities,
    /// rlimits, no-new-privileges) with the exec's argv, the container's
    /// environment plus the exec's (the exec's wins), the exec's user
    /// resolved in the container's own /etc/passwd, and its working directory.
    ///
    /// After `timeout`, or when the task is cancelled, the process is killed
    /// (SIGKILL; what it started itself lives on, as with docker) and the
    /// exec throws a `.timeout` error or `CancellationError`.
    public func exec(
        _ id: ContainerID, _ exec: LinuxExecSpec, timeout: Duration? = nil, sink: ExecOutputSink? = nil
    ) async throws -> ExecOutput {
        try requireExecutable(id, exec)
        let execs = try execDirectory(paths(id))
        let killer = ExecKiller(pidFile: execs + "/\(UUID().uuidString).pid")
        let timer = timeout.map { limit in
            let item = DispatchWorkItem { killer.kill(.timeout) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(limit.milliseconds), execute: item)
            return item
        }
        defer {
            timer?.cancel()
            unlink(killer.pidFile)
        }
        let output = try await withTaskCancellationHandler {
            try await DedicatedThread.run {
                defer { killer.finish() }
                return try self.execNow(id, exec, pidFile: killer.pidFile, sink: sink)
            }
        } onCancel: {
            killer.kill(.cancelled)
        }
        switch killer.reason {
        case .timeout?:
            let shown = exec.command.joined(separator: " ")
            throw BerthError(
                .timeout,
                "exec in container \(id): \"\(shown)\" was still running after \(timeout ?? .zero); it was killed")
        case .cancelled?: throw CancellationError()
        case nil: return output
        }
    }

    private func execNow(
        _ id: ContainerID, _ exec: LinuxExecSpec, pidFile: String, sink: ExecOutputSink?
    ) throws -> ExecOutput {
        let paths = self.paths(id)
        let process = try execProcess(id, exec, paths: paths)
        // A file per exec (several may run at once), in a directory of their
        // own: the container's directory is watched for its exit record, and
        // every file there woke every waiter.
        let file = try execDirectory(paths) + "/\(UUID().uuidString).json"
        do {
            try Files.write(Array(JSONEncoder().encode(process)), to: file, mode: 0o600)
        } catch {
            throw BerthError(.system, "exec in container \(id): writing \(file)", cause: BerthError.describe(error))
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try runtime.exec(id, processFile: file, pidFile: pidFile, input: exec.standardInput, sink: sink)
        return ExecOutput(exitCode: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// The exec's process: the container's settings with the exec's argv,
    /// environment, user and working directory.
    func execProcess(_ id: ContainerID, _ exec: LinuxExecSpec, paths: ContainerPaths) throws -> OCIRuntimeSpec.Process {
        var process = try bundleProcess(id, paths: paths)
        process.args = exec.command
        process.env = Self.merge(process.env, exec.environment)
        if let user = exec.user {
            let resolved = try UserResolver.reading(rootfs: paths.rootfs).resolve(user, container: id)
            process.user = .init(
                uid: resolved.uid, gid: resolved.gid,
                additionalGids: resolved.additionalGids.isEmpty ? nil : resolved.additionalGids)
        }
        if let cwd = exec.workingDir {
            guard cwd.hasPrefix("/") else {
                throw BerthError(.invalidSpec, "exec in container \(id): working directory \"\(cwd)\" is not absolute")
            }
            process.cwd = cwd
        }
        return process
    }

    /// The bundle's process settings, from the cache or read once. The key
    /// holds the bundle's inode, so a container made again under the same
    /// id (a recreate) is read again.
    func bundleProcess(_ id: ContainerID, paths: ContainerPaths) throws -> OCIRuntimeSpec.Process {
        var info = stat()
        let key =
            stat(paths.config, &info) == 0 ? "\(paths.config)#\(info.st_ino)#\(info.st_mtim.tv_nsec)" : paths.config
        if let cached = execProcesses.withLock({ $0[key] }) { return cached }
        let spec: OCIRuntimeSpec
        do {
            spec = try JSONDecoder().decode(
                OCIRuntimeSpec.self, from: Data(contentsOf: URL(fileURLWithPath: paths.config)))
        } catch {
            throw BerthError(
                .runtime, "exec in container \(id): unreadable bundle \(paths.config)",
                cause: BerthError.describe(error))
        }
        execProcesses.withLock { cache in
            // Entries of removed containers are dropped from time to time.
            if cache.count > 512 { cache.removeAll() }
            cache[key] = spec.process
        }
        return spec.process
    }

    /// `<container>/exec`, made on first use.
    func execDirectory(_ paths: ContainerPaths) throws -> String {
        if let run = Self.runDirectory() { return run }
        let directory = paths.directory + "/exec"
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw BerthError.system("creating \(directory)", errno: errno)
        }
        return directory
    }

    /// A directory of root's alone on a tmpfs (/run where it is one,
    /// else /dev/shm) for the files each exec makes and removes (its
    /// process, pid file, crun's log, a console socket); their names are
    /// random, so berthds of several roots share it. On the root's ext4
    /// each new file cost the inode allocator a scan past the ones recently
    /// deleted (a quarter of berthd's time in an exec, with an fsync). nil
    /// when no tmpfs gives one that is root's, 0700 and no symlink (another
    /// user may have made the name first); the container's directory
    /// serves then.
    static func runDirectory() -> String? {
        for parent in ["/run", "/dev/shm"] {
            guard berth_is_tmpfs(parent) == 1 else { continue }
            let base = parent + "/berth"
            if privateDirectory(base), privateDirectory(base + "/exec") { return base + "/exec" }
        }
        return nil
    }

    /// Makes `path` (0700) unless it is there; whether it is a directory
    /// (not a symlink) of berthd's user that no one else may enter.
    private static func privateDirectory(_ path: String) -> Bool {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { return false }
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_uid == geteuid()
            && info.st_mode & 0o077 == 0
    }

    /// `base` with each of `overrides` replacing the entry of the same key
    /// in place, or appended.
    static func merge(_ base: [String], _ overrides: [String]) -> [String] {
        var result = base
        for entry in overrides {
            let key = entry.split(separator: "=", maxSplits: 1).first.map { $0 + "=" } ?? entry
            if let index = result.firstIndex(where: { $0.hasPrefix(key) }) {
                result[index] = entry
            } else {
                result.append(entry)
            }
        }
        return result
    }
}

/// Kills one exec's process when its time is up or its task is cancelled.
///
/// crun writes the process's host pid to `pidFile` once it runs; a kill
/// asked for before that retries every few milliseconds until the pid is
/// there or the exec has finished. `finish` is called as soon as crun
/// returns, so that a pid reused after the process ended is never signalled
/// (the window left is the few instructions between crun's return and it).
final class ExecKiller: Sendable {
    /// Why the process was killed.
    enum Reason { case timeout, cancelled }

    private struct State {
        var finished = false
        var why: Reason?
    }

    let pidFile: String
    private let state = Mutex(State())

    init(pidFile: String) { self.pidFile = pidFile }

    /// Why it was killed, if it was.
    var reason: Reason? { state.withLock { $0.why } }

    /// The exec has returned: nothing more may be killed.
    func finish() { state.withLock { $0.finished = true } }

    /// Kills the process now, or as soon as crun has written its pid.
    func kill(_ reason: Reason) {
        let first = state.withLock { state -> Bool in
            guard !state.finished, state.why == nil else { return false }
            state.why = reason
            return true
        }
        if first { attempt() }
    }

    private func attempt() {
        let retry = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
            guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return true }
            _ = Glibc.kill(pid, SIGKILL)
            return false
        }
        if retry {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(5)) { self.attempt() }
        }
    }
}
