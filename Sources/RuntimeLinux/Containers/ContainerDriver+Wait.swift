import BerthModel
import Foundation

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
    /// when the shim renames exit.json into place; a shim that died without
    /// writing one is an error rather than a wait to the deadline.
    func waitForExit(_ id: ContainerID, timeout: Duration) async throws -> ExitStatus? {
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
