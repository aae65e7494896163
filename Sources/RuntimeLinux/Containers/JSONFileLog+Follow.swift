import BerthModel
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension JSONFileLog {
    /// The entries `query` selects, then each new one as the shim writes
    /// it, until `exitFile` appears (the container ended and the shim wrote
    /// its last line before that) or the consumer stops iterating.
    ///
    /// What is there is read as `read` reads it (a tail from the end), and
    /// the live file through the same descriptor on, so no line falls
    /// between the two; a rotation is seen as `json.log` naming another
    /// inode, after which the old descriptor is read to its end before the
    /// new file is opened.
    public func follow(_ query: Query, exitFile: String) -> AsyncThrowingStream<Entry, Error> {
        follow(query) { FileManager.default.fileExists(atPath: exitFile) }
    }

    /// `follow`, until `ended` says no more lines will come (checked after
    /// each file event and at least once a second) and the file has been
    /// read to its end; e.g. until the container's directory is gone, to
    /// follow a container across restarts.
    public func follow(
        _ query: Query, until ended: @escaping @Sendable () -> Bool
    ) -> AsyncThrowingStream<Entry, Error> {
        // Bounded: the thread waits for the reader rather than reading ahead.
        AsyncThrowingStream(bufferingPolicy: .bufferingOldest(256)) { continuation in
            let cancel: (Int32, Int32)
            do {
                cancel = try ChildProcess.socketPair()
            } catch {
                continuation.finish(throwing: error)
                return
            }
            continuation.onTermination = { _ in
                var byte: UInt8 = 1
                _ = write(cancel.1, &byte, 1)
            }
            // A thread of its own: a follow can last as long as the container.
            let thread = Thread {
                var inotify: Int32 = -1
                do {
                    inotify = try checkSyscall("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) }
                    try self.runFollow(query, ended: ended, inotify: inotify, cancel: cancel.0) {
                        continuation.yieldBlocking($0)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
                // Closed after finishing: closing an inotify instance waits
                // for an SRCU grace period (see `DirectoryWatches`).
                if inotify >= 0 { close(inotify) }
                close(cancel.0)
                close(cancel.1)
            }
            thread.start()
        }
    }

    private func runFollow(
        _ query: Query, ended: () -> Bool, inotify: Int32, cancel: Int32, emit: (Entry) -> Bool
    ) throws {
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
        try checkSyscall("watching \(directory)") { inotify_add_watch(inotify, directory, mask) }
        // What is there now (from the end for a tail), then each new entry
        // as the shim appends it, through the same cursor.
        let cursor = try Cursor(self, query)
        var events = [UInt8](repeating: 0, count: 4096)
        while true {
            let exited = ended()
            var fresh = false
            while let entry = try cursor.nextAvailable() {
                fresh = true
                if let until = query.until, entry.date > until { return }
                // False: the reader is gone.
                if !emit(entry) { return }
            }
            // Rotated: the old file is drained (above); go on with the new one.
            if cursor.followRotation() { continue }
            if exited && !fresh {
                while let entry = cursor.unfinished(), emit(entry) {}
                return
            }
            var fds = [
                pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
                pollfd(fd: cancel, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, 1000) < 0 && errno != EINTR {
                throw BerthError.system("poll on inotify for \(directory)", errno: errno)
            }
            if fds[1].revents != 0 { return }
            while Glibc.read(inotify, &events, events.count) > 0 {}
        }
    }
}

extension ContainerDriver {
    /// The container's log entries that `query` selects; with `follow`, new
    /// ones as they come until the container exits or the consumer stops.
    public func logs(
        _ id: ContainerID, _ query: JSONFileLog.Query = JSONFileLog.Query()
    ) throws -> AsyncThrowingStream<JSONFileLog.Entry, Error> {
        try requireExists(id)
        let paths = self.paths(id)
        let log = JSONFileLog(directory: paths.directory)
        if query.follow { return log.follow(query, exitFile: paths.exitFile) }
        let cursor = try log.cursor(query)
        return AsyncThrowingStream { try cursor.next() }
    }

    /// The log as `docker logs` prints it (no follow): each line's text,
    /// with its time first when `query.timestamps` is set.
    public func logText(_ id: ContainerID, _ query: JSONFileLog.Query = JSONFileLog.Query()) throws -> String {
        try requireExists(id)
        return try JSONFileLog(directory: paths(id).directory).read(query)
            .map { $0.formatted(timestamps: query.timestamps) }.joined()
    }
}
