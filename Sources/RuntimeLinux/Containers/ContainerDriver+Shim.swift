import BerthModel
import Foundation
import HostOS

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ContainerDriver {
    /// The shim's command line for container `spec` (also used by the test
    /// that starts the shim from a parent it then kills).
    func shimArguments(_ spec: LinuxContainerSpec, paths: ContainerPaths, mode: String, readyFD: Int32?) -> [String] {
        shimArguments(spec.id, log: spec.log, paths: paths, mode: mode, readyFD: readyFD)
    }

    /// The shim's command line for container `id` with these log options.
    func shimArguments(
        _ id: ContainerID, log: LinuxContainerSpec.LogOptions, paths: ContainerPaths, mode: String, readyFD: Int32?
    ) -> [String] {
        var args = [configuration.shimPath, "--id", id.rawValue, "--dir", paths.directory]
        args += runtime.shimArguments
        args += ["--mode", mode, "--cgroup", configuration.cgroupParent + "/" + id.rawValue]
        args += ["--log-max-size", String(max(0, log.maxSize)), "--log-max-files", String(max(1, log.maxFiles))]
        // The local driver is written as json-file; journald reads /dev/log as syslog does.
        let driver: String
        switch log.driver {
        case .jsonFile, .local: driver = "json-file"
        case .none: driver = "none"
        case .syslog, .journald: driver = "syslog"
        }
        args += ["--log-driver", driver]
        if log.compress && log.keepsFile { args.append("--log-compress") }
        if let readyFD { args += ["--ready-fd", String(readyFD)] }
        // The bundle says whether the init has a terminal; a marker file
        // whether its stdin stays open: both hold for every run of it.
        if (try? bundleProcess(id, paths: paths).terminal) == true { args.append("--tty") }
        if access(paths.directory + "/stdin-open", F_OK) == 0 { args.append("--stdin-open") }
        return args
    }

    /// Starts the shim and waits for its one line: `ok <pid>` once crun has
    /// created the container, or `error <text>`. The shim gets the write end
    /// of a socketpair as fd 3 and nothing else of ours.
    func launchShim(_ spec: LinuxContainerSpec, paths: ContainerPaths, mode: String) throws -> Int32 {
        try launchShim(spec.id, log: spec.log, paths: paths, mode: mode)
    }

    /// `launchShim` for container `id` with these log options.
    func launchShim(_ id: ContainerID, log: LinuxContainerSpec.LogOptions, paths: ContainerPaths, mode: String) throws
        -> Int32
    {
        let (ours, theirs) = try ChildProcess.socketPair()
        defer { close(ours) }
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(
                shimArguments(id, log: log, paths: paths, mode: mode, readyFD: 3), descriptors: [(theirs, 3)])
        } catch {
            close(theirs)
            throw error
        }
        close(theirs)
        let line = Self.readLine(ours)
        // The process we spawned exits as soon as the shim has detached.
        _ = try? ChildProcess.wait(pid)
        if line.hasPrefix("ok "), let containerPID = Int32(line.dropFirst(3)) {
            return containerPID
        }
        if line.hasPrefix("error ") {
            let verb = mode == "run" ? "running" : "creating"
            throw BerthError(.runtime, "\(verb) container \(id) failed", cause: String(line.dropFirst(6)))
        }
        throw BerthError(
            .runtime, "berth-shim for \(id) exited without reporting",
            cause: "see \(paths.directory)/shim.log; shim said \"\(line)\"")
    }

    /// Reads up to the first newline or EOF.
    private static func readLine(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !bytes.contains(UInt8(ascii: "\n")) {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 {
                bytes += buffer[0..<n]
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        let line = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first ?? []
        return String(decoding: line, as: UTF8.self)
    }

    /// The shim's pid while it is alive: shim.pid names it, /proc has it, it
    /// is not a zombie (an orphaned shim's exit waits forever for a PID 1
    /// that may never reap it) and its command line names this container's
    /// directory (so a reused pid is not mistaken for it).
    func shimPID(_ paths: ContainerPaths) -> Int32? {
        guard let text = try? String(contentsOfFile: paths.shimPid, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        return Self.isLiveShim(pid, directory: paths.directory) ? pid : nil
    }

    /// Whether `pid` is a running (not zombie) process whose command line
    /// contains `directory`.
    static func isLiveShim(_ pid: Int32, directory: String) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        guard state != "Z", state != "X" else { return false }
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return cmdline.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == directory }
    }
}
