import BerthModel
import Foundation
import HostOS

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ContainerDriver {
    /// Waits until the container's init has exited and its shim has recorded
    /// how; throws a `.timeout` error after `timeout`, and `CancellationError`
    /// when the task is cancelled.
    public func wait(_ id: ContainerID, timeout: Duration) async throws -> ExitStatus {
        guard let status = try await waitForExit(id, timeout: timeout) else {
            throw BerthError(.timeout, "container \(id) was still running after \(timeout)")
        }
        return status
    }

    /// The exit record, or nil when `timeout` passes first. Woken by inotify
    /// when the shim renames exit.json into place. A shim that died without
    /// writing one (killed, or on a full disk) is not waited for to the
    /// deadline: the container is made sure of and that end taken
    /// (`recoverLost`), for every caller (exit watching, stop, remove).
    func waitForExit(_ id: ContainerID, timeout: Duration) async throws -> ExitStatus? {
        do {
            return try await waitForRecord(id, timeout: timeout)
        } catch let error as BerthError where shimPID(paths(id)) == nil {
            guard let status = try await recoverLost(id) else { throw error }
            return status
        }
    }

    /// The shim's exit record as it appears; an error when the shim is gone without one.
    private func waitForRecord(_ id: ContainerID, timeout: Duration) async throws -> ExitStatus? {
        try requireExists(id)
        let paths = self.paths(id)
        return try await watches.wait(directory: paths.directory, timeout: timeout) {
            // Liveness before the record: the shim writes exit.json and only
            // then removes shim.pid, so "no shim" read first and "no record"
            // read second means the shim died without writing one.
            let alive = self.shimPID(paths) != nil
            if let status = try ExitStatus.read(paths.exitFile) { return status }
            guard alive else {
                throw BerthError(
                    .runtime, "berth-shim of container \(id) is gone and recorded no exit status",
                    cause: "see \(paths.directory)/shim.log")
            }
            return nil
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a short wait is never zero.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(0, min(millis, Int64(Int32.max))))
    }
}

extension ContainerDriver {
    /// A container whose shim died (a `kill -9`) without recording how the
    /// container ended. Its init may well still run, with nobody to collect
    /// its output or its exit: crun says. A live one is killed (thawed
    /// first, a frozen process would not die) and deleted from crun, and
    /// the record the shim would have written is written: killed by
    /// SIGKILL, 137, as docker reports a container it had to kill. So the
    /// container shows as exited, not dead, and its restart policy applies.
    /// Nil when it is not lost (its shim lives, or it has a record).
    public func recoverLost(_ id: ContainerID) async throws -> ExitStatus? {
        try requireExists(id)
        let paths = self.paths(id)
        if shimPID(paths) != nil { return nil }
        if let status = try ExitStatus.read(paths.exitFile) { return status }
        let runtime = self.runtime
        let state = try? await DedicatedThread.run { try runtime.state(id) }
        let killed = state.map { $0.status != "stopped" } ?? false
        if killed {
            try? await DedicatedThread.run { try runtime.freeze(id, false) }
            try? await DedicatedThread.run { try runtime.kill(id, signal: SIGKILL) }
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let now = try? await DedicatedThread.run { try runtime.state(id) }
                if now == nil || now?.status == "stopped" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try? await DedicatedThread.run { try runtime.delete(id, force: true) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Killed here: 137, as docker reports a container it killed. Ended
        // by itself with nobody to see how: 255, docker's "unknown".
        let status = ExitStatus(
            exitCode: killed ? 128 + SIGKILL : 255, signal: killed ? SIGKILL : nil,
            finishedAt: formatter.string(from: Date()), pid: state?.pid)
        // Best effort: on a full disk (why the shim wrote none, perhaps) the
        // end is known now all the same, and a removal needs no record.
        if let data = try? JSONEncoder().encode(status) {
            try? FileOps.writeAtomically([UInt8](data), to: paths.exitFile, temporaryDirectory: paths.directory)
        }
        return status
    }
}
