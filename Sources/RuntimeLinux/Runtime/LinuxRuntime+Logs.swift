import BerthModel
import Foundation
import HostOS
import RuntimeKit

extension LinuxRuntime {
    /// The container's output from its json-file log: the last `tail`
    /// lines, those since `since`, and with `follow` every new line, across
    /// restarts (the log is the container's, not one run's), until the
    /// container is removed or the reader stops iterating.
    public func logs(_ id: String, _ query: LogQuery) async throws -> AsyncThrowingStream<
        LogRecord, any Error
    > {
        let (log, paths, selection) = try logSelection(id, query)
        let directory = paths.directory
        let entries: AsyncThrowingStream<JSONFileLog.Entry, any Error>
        if query.follow && query.untilExit {
            entries = log.follow(selection, exitFile: paths.exitFile)
        } else if query.follow {
            entries = log.follow(selection) { !FileManager.default.fileExists(atPath: directory) }
        } else {
            // Pulled: a file is read as far as the reader has got, no
            // further, and a reader that stops stops the reading.
            let cursor = try log.cursor(selection)
            return AsyncThrowingStream { try cursor.next().map(Self.record) }
        }
        return AsyncThrowingStream(bufferingPolicy: .bufferingOldest(256)) { continuation in
            let task = Task.detached {
                do {
                    for try await entry in entries {
                        guard await continuation.yieldWaiting(Self.record(entry)) else { break }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            // Cancelling the task ends the iteration of `entries`, whose
            // own termination stops the follow's thread.
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// `logs` without `follow`, up to 64 KiB of lines a batch, each pulled
    /// only once the reader has taken the one before.
    public func logBatches(_ id: String, _ query: LogQuery) async throws -> AsyncThrowingStream<
        [LogRecord], any Error
    > {
        guard !query.follow else {
            throw BerthError(.invalidArgument, "log batches are read to the end of the log, not followed")
        }
        let (log, _, selection) = try logSelection(id, query)
        let cursor = try log.cursor(selection)
        return AsyncThrowingStream {
            var batch: [LogRecord] = []
            var bytes = 0
            while bytes < 65536, let entry = try cursor.next() {
                bytes += entry.text.utf8.count + 64
                batch.append(Self.record(entry))
            }
            return batch.isEmpty ? nil : batch
        }
    }

    /// The log of container `id` and what of it `query` selects; throws
    /// for a driver that keeps none.
    private func logSelection(_ id: String, _ query: LogQuery) throws -> (
        JSONFileLog, ContainerPaths, JSONFileLog.Query
    ) {
        let policy = try logPolicy(try record(id).spec)
        guard policy.keepsFile else {
            // docker's words, for scripts that look for them.
            throw BerthError(
                .unsupported,
                "configured logging driver does not support reading (container \(id) logs to \(policy.driver.rawValue))"
            )
        }
        let paths = driver.paths(try SpecTranslation.containerID(id))
        let selection = JSONFileLog.Query(
            tail: query.tail, since: query.since.map { Date(timeIntervalSince1970: $0) }, follow: query.follow)
        return (JSONFileLog(directory: paths.directory), paths, selection)
    }

    /// What the shim does with `spec`'s output: its `logging:` over
    /// daemon.json's `log-driver`/`log-opts`.
    func logPolicy(_ spec: ContainerSpec) throws -> LogPolicy {
        do {
            return try LogPolicy.resolve(spec.logging, default: configuration.defaultLogging)
        } catch {
            throw BerthError(error.code, "container \(spec.name): \(error.message)")
        }
    }

    static func record(_ entry: JSONFileLog.Entry) -> LogRecord {
        var text = entry.text
        // The "\n" alone (a terminal's "\r" stays, as docker's does); by
        // byte, since "\r\n" is one Character.
        if text.utf8.last == UInt8(ascii: "\n") { text = String(decoding: text.utf8.dropLast(), as: UTF8.self) }
        return LogRecord(time: entry.time, stream: entry.stream.rawValue, text: text)
    }

    /// The container's processes as `docker top` shows them (`ps -ef`'s
    /// columns): every process of its cgroup, read from /proc.
    public func processes(_ id: String) async throws -> ProcessTable {
        _ = try record(id)
        let cid = try SpecTranslation.containerID(id)
        guard case .alive = driver.observe(cid) else {
            throw BerthError(.invalidState, "container \(id) is not running, so it has no processes")
        }
        let cgroup = configuration.cgroupParent + "/" + id
        return try await DedicatedThread.run { ProcessList.table(pids: ProcessList.pids(inCgroup: cgroup)) }
    }
}

extension LinuxRuntime {
    /// A running container's resource use now (`CgroupStats`).
    public func stats(_ id: String) async throws -> ContainerStats {
        _ = try record(id)
        let cid = try SpecTranslation.containerID(id)
        guard case .alive(let pid) = driver.observe(cid), pid > 0 else {
            throw BerthError(.invalidState, "container \(id) is not running, so it has no resource figures")
        }
        return try await DedicatedThread.run { try CgroupStats.read(pid: pid) }
    }
}

extension LinuxRuntime {
    /// `berth cp` with a running container (`ContainerFiles`).
    public func copy(_ id: String, _ request: ContainerCopy) async throws {
        _ = try record(id)
        let cid = try SpecTranslation.containerID(id)
        guard case .alive(let pid) = driver.observe(cid), pid > 0 else {
            throw BerthError(
                .invalidState, "container \(id) is not running; berth cp needs it running (berth start it)")
        }
        let root = "/proc/\(pid)/root"
        let parent = configuration.root + "/tmp"
        try await DedicatedThread.run {
            try FileOps.makeDirectories(parent, mode: 0o700)
            let staging = try FileOps.makeTemporaryDirectory(in: parent, prefix: "cp-")
            defer { _ = FileOps.removeTree(staging) }
            if request.intoContainer {
                try ContainerFiles.copyIn(root: root, request, staging: staging)
            } else {
                try ContainerFiles.copyOut(root: root, request, staging: staging)
            }
        }
    }
}
