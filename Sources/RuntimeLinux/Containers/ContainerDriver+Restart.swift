import BerthModel
import Foundation
import HostOS

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What `observe` reads from a container's files, without asking crun.
public enum ObservedStatus: Hashable, Sendable {
    /// The shim runs: the container is created or running (`pid` is its
    /// init as crun wrote it; 0 while crun has not written it yet).
    case alive(pid: Int32)
    /// The init ended, as recorded.
    case exited(ExitStatus)
    /// Neither a shim nor an exit record (the shim was killed, the host rebooted).
    case lost
}

extension ContainerDriver {
    /// Runs an exited container again, as `docker start` does: the same
    /// bundle and so the same writable layer, the same network namespace by
    /// path and the same log, appended to. crun cannot start a container
    /// it has stopped, so its state is deleted and a new shim runs
    /// `crun run` on the bundle. `layers` (lowest first) remount the rootfs
    /// when it is no longer mounted (after a reboot). Returns the new init's pid.
    ///
    /// A container that never exited (created or running) is refused; one
    /// whose shim died without a record (`lost`) is run again too.
    public func restart(
        _ id: ContainerID, layers: [String], log: LinuxContainerSpec.LogOptions = .init()
    ) async throws -> Int32 {
        try requireExists(id)
        let paths = self.paths(id)
        switch observe(id) {
        case .alive:
            throw BerthError(.invalidState, "container \(id) has not exited, so it cannot be started again")
        case .exited, .lost: break
        }
        // The last shim writes exit.json and only then removes shim.pid:
        // a new shim.pid written in between would be removed by it.
        let gone = try await watches.wait(directory: paths.directory, timeout: .seconds(10)) {
            self.shimPID(paths) == nil ? true : nil
        }
        guard gone != nil else {
            throw BerthError(.timeout, "the last berth-shim of container \(id) did not exit within 10 s")
        }
        return try await DedicatedThread.run {
            try self.runtime.delete(id, force: true)
            // crun writes a new pid file; the shim quotes crun.log's first
            // line on failure, which must be this run's.
            for stale in [paths.containerPid, paths.directory + "/crun.log"] where unlink(stale) != 0 {
                let failure = errno
                if failure != ENOENT {
                    throw BerthError.system("removing \(stale) of container \(id)", errno: failure)
                }
            }
            if !OverlayRootfs.isMountPoint(paths.rootfs) { try OverlayRootfs.mount(layers: layers, paths: paths) }
            // The shim removes the old exit.json once its shim.pid is in place.
            return try self.launchShim(id, log: log, paths: paths, mode: "run")
        }
    }

    /// The container's state from the shim's files alone (shim.pid and
    /// /proc, exit.json, container.pid): no crun run, so cheap enough to
    /// call for every container of a listing. It cannot tell created from
    /// running; the caller knows whether it started the container.
    public func observe(_ id: ContainerID) -> ObservedStatus {
        let paths = self.paths(id)
        // Liveness before the record, as in `waitForExit`.
        let alive = shimPID(paths) != nil
        if let status = try? ExitStatus.read(paths.exitFile) { return .exited(status) }
        guard alive else { return .lost }
        let text = (try? String(contentsOfFile: paths.containerPid, encoding: .utf8)) ?? ""
        return .alive(pid: Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
    }
}
