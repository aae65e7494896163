import BerthModel
import Foundation
import Glibc
import HostOS
import Registry
import RuntimeKit

/// A task waiting for one run of a container to end; `token` tells runs apart.
struct Watcher: Sendable {
    var token: UInt64
    var task: Task<Void, Never>
}

extension LinuxRuntime {
    /// Starts a container: a created one for the first time, or an exited
    /// one again, as docker does for restart policies: the same container,
    /// its writable layer, namespace and addresses kept. A running one is
    /// left as it is. Every successful call emits `start` (as the fake
    /// runtime does), so a caller that counts its own starts stays in step.
    public func startContainer(_ id: String) async throws {
        try await exclusively(id) {
            var record = try record(id)
            let cid = try SpecTranslation.containerID(id)
            guard record.phase == .ready else {
                throw BerthError(.invalidState, "container \(id) is being removed and cannot start")
            }
            var started = true
            // Its ports are bound while it runs (docker's rule): again now,
            // when a stop or an exit released them.
            try await publishAgain(record)
            do {
                switch driver.observe(cid) {
                case .alive:
                    if record.startedAt == nil { try await driver.start(cid) } else { started = false }
                case .exited, .lost:
                    let (_, layers) = try await imageLayers(record)
                    _ = try await driver.restart(cid, layers: layers, log: try logPolicy(record.spec))
                }
            } catch {
                await releasePorts(id)
                throw error
            }
            if started {
                record.startedAt = Self.now()
                record.paused = nil
                try await save(record)
                watch(id)
            }
            emit(.start, id)
        }
    }

    /// docker's pause and unpause: the container's processes frozen in
    /// their cgroup, or thawed; `pause`/`unpause` emitted. Only a running
    /// container can be paused, and only a paused one unpaused.
    public func pauseContainer(_ id: String, paused: Bool) async throws {
        try await exclusively(id) {
            var record = try record(id)
            let cid = try SpecTranslation.containerID(id)
            guard case .alive = driver.observe(cid), record.startedAt != nil else {
                throw BerthError(
                    .invalidState, "container \(id) is not running, so it cannot be \(paused ? "paused" : "unpaused")")
            }
            guard (record.paused ?? false) != paused else {
                throw BerthError(.invalidState, "container \(id) is \(paused ? "already paused" : "not paused")")
            }
            try await driver.freeze(cid, paused)
            record.paused = paused ? true : nil
            try await save(record)
            emit(paused ? .pause : .unpause, id)
        }
    }

    /// Thaws a paused container before a signal, a stop or a removal: a
    /// frozen process would not act on it (docker resumes it too).
    func thawIfPaused(_ record: inout ContainerRecord, _ cid: ContainerID) async throws {
        guard record.paused == true else { return }
        try await driver.freeze(cid, false)
        record.paused = nil
        try await save(record)
        emit(.unpause, record.id)
    }

    /// Sends a signal (`SIGHUP`, `HUP`, `1`) to the container's init; a
    /// container that does not run is an `invalid-state` error.
    public func killContainer(_ id: String, signal: String) async throws {
        var record = try record(id)
        let number = try SpecTranslation.signal(signal, "kill container \(id)")
        let cid = try SpecTranslation.containerID(id)
        guard case .alive = driver.observe(cid), record.startedAt != nil else {
            throw BerthError(.invalidState, "container \(id) is not running, so \(signal) was not sent")
        }
        try await thawIfPaused(&record, cid)
        do {
            try await driver.kill(cid, signal: number)
        } catch let error as BerthError where error.code == .invalidState {
            throw BerthError(.invalidState, "container \(id) is not running, so \(signal) was not sent")
        }
        emit(.kill, id)
    }

    /// docker's stop: `signal`, then SIGKILL once `grace` nanoseconds have
    /// passed. Returns once the container has exited (its `die` emitted),
    /// then emits `stop`; a container that does not run is left as it is,
    /// and `stop` still emitted.
    public func stopContainer(_ id: String, signal: String, grace: Int64) async throws {
        let number = try SpecTranslation.signal(signal, "stop container \(id)")
        try await exclusively(id) {
            var record = try record(id)
            let cid = try SpecTranslation.containerID(id)
            if case .alive = driver.observe(cid), record.startedAt != nil {
                try await thawIfPaused(&record, cid)
                emit(.kill, id)
                _ = try await driver.stop(cid, signal: number, grace: .nanoseconds(max(0, grace)))
                await watcherDone(id)
            }
            await releasePorts(id)
            emit(.stop, id)
        }
    }

    /// Removes a container and everything made for it: its ports, its
    /// network endpoints and namespace, its bundle and writable layer, its
    /// anonymous volumes (unless `keepingAnonymousVolumes`: a recreate's
    /// new container mounts them again), its record. A running one only with `force`
    /// (then it is killed first: `kill`, `die`, then `destroy`). Every step
    /// is tried; the failures are reported together, and the container then
    /// shows as `dead` until a later remove (or restore) finishes the job.
    public func removeContainer(_ id: String, force: Bool, keepingAnonymousVolumes: Bool) async throws {
        try await exclusively(id) {
            var record = try record(id)
            let cid = try SpecTranslation.containerID(id)
            if case .alive = driver.observe(cid) {
                guard force || record.startedAt == nil else {
                    throw BerthError(
                        .invalidState, "container \(id) is running; stop it before removing it, or force the removal")
                }
                try? await thawIfPaused(&record, cid)
                if record.startedAt != nil { emit(.kill, id) }
                _ = try? await driver.stop(cid, signal: SIGKILL, grace: .seconds(10))
                await watcherDone(id)
            }
            record.phase = .removing
            if keepingAnonymousVolumes { record.keepsAnonymousVolumes = true }
            // The record says what to finish should berthd die half-way; on
            // a full disk it cannot be written, and the removal goes on
            // all the same (`down -v` is how a user makes room).
            try? await save(record)
            try await shieldedTeardown(record, undoingCreate: false)
            emit(.destroy, id)
        }
    }

    /// Waits for the container to exit (as long as that takes; a created
    /// one first has to be started) and returns its exit code.
    public func waitContainer(_ id: String) async throws -> Int32 {
        _ = try record(id)
        let cid = try SpecTranslation.containerID(id)
        while true {
            do {
                return try await driver.wait(cid, timeout: .seconds(3600)).exitCode
            } catch let error as BerthError where error.code == .timeout {
                continue
            }
        }
    }

    /// Runs a command in a running container, as `docker exec` does;
    /// `spec.timeout` (when positive) kills it, and the call throws a
    /// `timeout` error. Cancelling the calling task kills it too.
    public func exec(_ id: String, _ spec: ExecSpec) async throws -> ExecResult {
        let output = try await execute(id, spec, sink: nil)
        return ExecResult(exitCode: output.exitCode, stdout: output.output, stderr: output.errorOutput)
    }

    /// `exec` with the output streamed as crun's process writes it.
    public func exec(_ id: String, _ spec: ExecSpec, output: @escaping @Sendable (ExecStream, [UInt8]) -> Void)
        async throws -> Int32
    {
        try await execute(id, spec) { descriptor, bytes in output(descriptor == 2 ? .stderr : .stdout, bytes) }.exitCode
    }

    /// An exec with its streams relayed over `io`, on a pty with `options.tty`.
    public func execSession(_ id: String, _ spec: ExecSpec, options: ExecSessionOptions, io: ProcessIO)
        async throws -> Int32
    {
        let (cid, exec) = try execTarget(id, spec)
        return try await driver.execSession(cid, exec, options: options, io: io)
    }

    /// Relays the container's terminal or open stdin and its output.
    public func attach(
        _ id: String, io: ProcessIO, rows: UInt16?, columns: UInt16?,
        whenAttached: @escaping @Sendable () async throws -> Void
    ) async throws -> AttachEnd {
        _ = try record(id)
        let cid = try SpecTranslation.containerID(id)
        return try await driver.attach(cid, io: io, rows: rows, columns: columns, whenAttached: whenAttached)
    }

    /// The container and the exec as the driver takes them. A created
    /// container's shim holds its namespaces already, and crun would run the
    /// command there; docker refuses, and so do we.
    private func execTarget(_ id: String, _ spec: ExecSpec) throws -> (ContainerID, LinuxExecSpec) {
        let record = try record(id)
        guard record.startedAt != nil else {
            throw BerthError(.invalidState, "exec in container \(id): it has not been started, it is not running")
        }
        guard record.paused != true else {
            throw BerthError(.invalidState, "exec in container \(id): it is paused; unpause it first")
        }
        let exec = LinuxExecSpec(
            spec.command, environment: spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            user: spec.user, workingDir: spec.workingDir, standardInput: spec.standardInput)
        return (try SpecTranslation.containerID(id), exec)
    }

    private func execute(_ id: String, _ spec: ExecSpec, sink: ExecOutputSink?) async throws -> ExecOutput {
        let (cid, exec) = try execTarget(id, spec)
        let timeout = spec.timeout.flatMap { $0 > 0 ? Duration.nanoseconds($0) : nil }
        return try await driver.exec(cid, exec, timeout: timeout, sink: sink)
    }

    // MARK: Exit watching

    /// Watches the current run of a started container: `die` with its exit
    /// code when it ends.
    func watch(_ id: String) {
        guard let cid = ContainerID(id) else { return }
        watchers[id]?.task.cancel()
        nextWatcher += 1
        let token = nextWatcher
        let driver = self.driver
        let task = Task {
            var status: ExitStatus?
            while !Task.isCancelled {
                do {
                    status = try await driver.wait(cid, timeout: .seconds(3600))
                    break
                } catch let error as BerthError where error.code == .timeout {
                    continue
                } catch {
                    // Cancelled or removed: there is nothing to report (a
                    // shim that died without a record is recovered by the wait).
                    break
                }
            }
            self.exited(id, token: token, status: status)
        }
        watchers[id] = Watcher(token: token, task: task)
    }

    private func exited(_ id: String, token: UInt64, status: ExitStatus?) {
        guard watchers[id]?.token == token else { return }
        watchers[id] = nil
        if let status {
            emit(.die, id, exitCode: status.exitCode)
            Task { await self.releaseRuntimeState(id) }
        }
    }

    /// Binds the container's ports again (as recorded at create, the
    /// ephemeral ones keeping their numbers) unless they are bound; one
    /// that cannot be bound undoes the others and is the error.
    func publishAgain(_ record: ContainerRecord) async throws {
        let id = record.id
        guard published[id, default: []].isEmpty, !record.ports.isEmpty,
            let first = record.attachments.first, let target = IPv4(first.address)
        else { return }
        for port in record.ports {
            do {
                guard let request = try SpecTranslation.portRequests([port], container: id).first else { continue }
                let bound = try await proxy.publish(request.mapping(to: target))
                published[id, default: []].append(Publication(spec: port, port: bound))
            } catch {
                await releasePorts(id)
                let failure = error as? BerthError ?? BerthError(.bind, "\(error)")
                throw BerthError(
                    failure.code, "container \(id): cannot publish its port: \(failure.message)", cause: failure.cause)
            }
        }
    }

    /// Unbinds the container's ports: it stopped or exited, and docker
    /// frees a stopped container's ports for others.
    func releasePorts(_ id: String) async {
        for publication in published.removeValue(forKey: id) ?? [] { await proxy.unpublish(publication.port) }
    }

    /// Deletes crun's state of a container that has exited, while nothing
    /// waits for it: a restart (after its backoff) would otherwise run
    /// `crun delete` first, 10-20 ms more between the decision and the
    /// container running again. Under the container's own lock, so a start
    /// or remove never runs beside it; crun's delete of a state already
    /// gone is not an error, so theirs still may run.
    func releaseRuntimeState(_ id: String) async {
        guard let cid = ContainerID(id) else { return }
        try? await exclusively(id) {
            guard case .exited = driver.observe(cid) else { return }
            await releasePorts(id)
            let runtime = driver.runtime
            try? await DedicatedThread.run { try runtime.delete(cid, force: true) }
        }
    }

    /// Waits until the watcher of `id` has seen the exit and emitted `die`.
    func watcherDone(_ id: String) async {
        await watchers[id]?.task.value
    }

    // MARK: Taking apart

    /// Undoes a container: its ports, its driver state, its network
    /// endpoints (found by namespace, so a create that crashed before
    /// recording them is undone too), its own namespace, its anonymous
    /// volumes (and, `undoingCreate`, the named ones this create made and
    /// nobody else uses), and its record. Keeps going past failures; when
    /// one happened the record stays, in `removing`, and the error names
    /// every failure.
    func teardown(_ record: ContainerRecord, undoingCreate: Bool) async throws {
        let id = record.id
        var failures: [BerthError] = []
        watchers[id]?.task.cancel()
        watchers[id] = nil
        for publication in published[id] ?? [] { await proxy.unpublish(publication.port) }
        published[id] = nil
        if let cid = ContainerID(id), (try? driver.requireExists(cid)) != nil {
            if let failure = await failure(of: { try await driver.remove(cid, force: true) }) {
                failures.append(failure)
            }
        }
        if let netnsPath = record.netnsPath, record.ownsNetns {
            // The namespace first: its veths go with it, in the kernel's own
            // time, and the networks then only free the addresses.
            var namespaceGone = !FileManager.default.fileExists(atPath: netnsPath)
            if !namespaceGone {
                do {
                    try await DedicatedThread.run { try NetworkNamespace(path: netnsPath).delete() }
                    namespaceGone = true
                } catch {
                    failures.append(
                        BerthError(
                            .host, "container \(id): cannot delete its network namespace \(netnsPath)",
                            wrapping: error))
                }
            }
            for network in await bridges.list() where network.endpoints.contains(where: { $0.netnsPath == netnsPath }) {
                let detach = {
                    try await self.bridges.detach(network.name, netnsPath: netnsPath, deleteLink: !namespaceGone)
                }
                if let failure = await failure(of: detach) {
                    failures.append(failure)
                }
            }
        }
        let inUse = volumesInUse(besides: id)
        // Kept: anonymous volumes left for a recreate, and on an undone
        // create the ones it inherited (they hold the replaced container's data).
        let kept = Set(
            (record.keepsAnonymousVolumes == true ? record.anonymousVolumes : [])
                + (undoingCreate ? record.spec.inheritedVolumes.map { Array($0.values) } ?? [] : []))
        // Another container's anonymous volumes mounted through volumes_from
        // go with the last container that mounts them, whichever goes last.
        let borrowed = record.volumes.filter { name in
            guard let volume = VolumeName(name), let found = try? volumeStore.inspect(volume) else { return false }
            return Self.anonymousLabels.keys.allSatisfy { found.labels[$0] != nil }
        }
        let doomed = record.anonymousVolumes + borrowed + (undoingCreate ? record.createdVolumes : [])
        for name in doomed where !inUse.contains(name) && !kept.contains(name) {
            guard let volume = VolumeName(name), (try? volumeStore.inspect(volume)) != nil else { continue }
            if let failure = await failure(of: { try await volumeStore.remove(volume, inUse: { _ in nil }) }) {
                failures.append(failure)
            }
        }
        if let error = BerthError.combined(failures) {
            var kept = record
            kept.phase = .removing
            try? await save(kept)
            throw BerthError(.runtime, "removing container \(id) left work undone", cause: error.description)
        }
        try await forget(id)
    }

    /// `teardown` in a task of its own: a caller cancelled half-way (a
    /// client that hung up) must not leave half a container, and the waits
    /// of a teardown end at once in a cancelled task.
    func shieldedTeardown(_ record: ContainerRecord, undoingCreate: Bool) async throws {
        try await Task { try await self.teardown(record, undoingCreate: undoingCreate) }.value
    }

    /// The error `body` throws, as a `BerthError`; nil when it succeeds.
    private func failure(of body: () async throws -> Void) async -> BerthError? {
        do {
            try await body()
            return nil
        } catch let error as BerthError {
            return error
        } catch {
            return BerthError(.runtime, "\(error)")
        }
    }

    /// The image a container was made from (by digest: its name may have
    /// moved since) and its layer directories.
    func imageLayers(_ record: ContainerRecord) async throws -> (Image, [String]) {
        let store = imageStore
        let digest = record.imageDigest
        return try await DedicatedThread.run {
            let image = try store.image(digest: try Digest(parsing: digest))
            return (image, store.layerDirectories(for: image))
        }
    }
}
