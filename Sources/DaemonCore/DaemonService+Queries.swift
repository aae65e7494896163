import AsyncKeyedLock
import BerthModel
import DaemonAPI
import Foundation
import Reconciler
import RuntimeKit
import Supervisor

extension DaemonService {
    /// `berth ps`: the project's containers with the supervisor's view.
    public func summaries(project: String, services: [String], all: Bool) async throws -> [ContainerSummary] {
        let containers = try await runtime.containers(matching: .project(project))
        var result: [ContainerSummary] = []
        let now = Date().timeIntervalSince1970
        for info in containers.sorted(by: { $0.name < $1.name }) {
            if !services.isEmpty, !services.contains(info.composeService ?? "") { continue }
            if !all, !info.state.isRunning { continue }
            let status = await supervisor.status(of: info.id)
            result.append(Self.summary(info, status: status, now: now))
        }
        return result
    }

    static func summary(_ info: ContainerInfo, status: ContainerStatus?, now: Double) -> ContainerSummary {
        var state = info.state.name
        var exitCode: Int32 = 0
        var text: String
        let health = status?.health
        switch info.state {
        case .created:
            text = "Created"
        case .running where info.paused == true:
            state = "paused"
            text = "Up " + HumanDuration.text(now - (info.startedAt ?? now)) + " (Paused)"
        case .running:
            text = "Up " + HumanDuration.text(now - (info.startedAt ?? now))
            if let words = status?.healthText { text += " (\(words))" }
        case .exited(let code):
            exitCode = code
            text = "Exited (\(code)) \(HumanDuration.text(now - (info.finishedAt ?? now))) ago"
            if case .restarting = status?.restart.state {
                state = "restarting"
                text = "Restarting (\(code)) \(HumanDuration.text(now - (info.finishedAt ?? now))) ago"
            }
        case .dead:
            text = "Dead"
        }
        // Bound only while it runs, as docker's are: a stopped container shows none.
        var publishers = (info.state.isRunning ? info.ports : []).map { port in
            PublisherSummary(
                url: port.hostIP ?? "0.0.0.0", targetPort: port.containerPort, publishedPort: port.hostPort ?? 0,
                protocol: port.protocol.rawValue)
        }
        // Exposed ports too, also only while it runs (docker's ps shows none for a stopped one).
        if info.state.isRunning {
            publishers += Self.exposedPublishers(info.exposedPorts ?? [], besides: publishers)
        }
        let probes = (health?.log ?? []).map {
            ProbeSummary(start: $0.start.seconds, end: $0.end.seconds, exitCode: $0.exitCode, output: $0.output)
        }
        return ContainerSummary(
            id: info.id, name: info.name, image: info.image, command: info.command?.joined(separator: " ") ?? "",
            project: info.labels[ComposeLabel.project] ?? "", service: info.composeService ?? "",
            created: info.createdAt, state: state, status: text, health: health?.status.rawValue ?? "",
            exitCode: exitCode, publishers: publishers, labels: info.labels, networks: info.addresses,
            restartCount: status?.restart.restartCount ?? 0, failingStreak: health?.failingStreak ?? 0, probes: probes)
    }

    /// `berth ls`: every project that has containers.
    public func projects() async throws -> [ProjectSummary] {
        let containers = try await runtime.containers(matching: LabelFilter([ComposeLabel.project: nil]))
        var byProject: [String: [ContainerInfo]] = [:]
        for container in containers {
            byProject[container.labels[ComposeLabel.project] ?? "", default: []].append(container)
        }
        return byProject.keys.sorted().map { name in
            let members = byProject[name] ?? []
            var counts: [String: Int] = [:]
            for member in members { counts[member.paused == true ? "paused" : member.state.name, default: 0] += 1 }
            let status = counts.keys.sorted().map { "\($0)(\(counts[$0] ?? 0))" }.joined(separator: ", ")
            // The project directory when the config files were not recorded.
            let files =
                members.first.flatMap { $0.labels[ComposeLabel.configFiles] ?? $0.labels[ComposeLabel.workingDir] }
                ?? ""
            return ProjectSummary(name: name, status: status, configFiles: files)
        }
    }

    /// The containers of some services (all: every service) of a project, one-offs excluded.
    func containers(project: String, services: [String]) async throws -> [ContainerInfo] {
        let known = try await runtime.containers(matching: .project(project)).filter { !$0.isOneOff }
        if let missing = services.first(where: { name in !known.contains { $0.composeService == name } }),
            store.load(project)?.services[missing] == nil
        {
            throw BerthError(.notFound, "no such service: \(missing)")
        }
        return known.filter { services.isEmpty || services.contains($0.composeService ?? "") }
            .sorted { $0.name < $1.name }
    }

    /// `berth logs`: every selected container's lines, merged as they come,
    /// in batches (a read to the end hands over up to 64 KiB at once; a
    /// follow each line as it comes). With `follow`, a container is
    /// followed across the restarts its policy makes, and the stream ends
    /// once every container has stopped for good, as docker compose's
    /// `logs -f` does.
    public func logs(_ request: LogsRequest) async throws -> AsyncThrowingStream<[LogEntry], any Error> {
        let containers = try await containers(project: request.projectName, services: request.services)
        if !request.follow {
            // Pulled: read only as fast as the client takes it.
            let walk = LogWalk(runtime: runtime, containers: containers, request: request)
            return AsyncThrowingStream { try await walk.next() }
        }
        // Bounded: a follow that starts with a long log reads it as fast as
        // the client takes it, holding 256 lines, not all of them.
        let (stream, continuation) = AsyncThrowingStream<[LogEntry], any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(256))
        let task = Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for container in containers {
                        group.addTask {
                            try await self.logs(of: container, request) { await continuation.yieldWaiting([$0]) }
                        }
                    }
                    try await group.waitForAll()
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// One container's part of `berth logs`: each run's lines in turn. A
    /// new run is read from the time of the last line sent; what that
    /// read gives again (lines before that time, and as many lines at it
    /// as were sent) is skipped. Counted, not compared: the shim stamps a
    /// whole read of output with one time, so the same text can come many
    /// times at one time (`yes`), and each of them is a line to print.
    nonisolated func logs(
        of container: ContainerInfo, _ request: LogsRequest, send: @Sendable (LogEntry) async -> Bool
    ) async throws {
        var query = LogQuery(tail: request.tail, since: request.since, follow: request.follow, untilExit: true)
        // The time of the last line sent, and how many were sent at it.
        var last: (seconds: Double, time: String, count: Int)?
        // On a read again: the lines of `last`'s time still to skip.
        var resume: (seconds: Double, time: String, skip: Int)?
        while !Task.isCancelled {
            for try await line in try await runtime.logs(container.id, query) {
                let entry = LogEntry(line, of: container)
                let seconds = entry.seconds ?? 0
                if let until = request.until, seconds >= until { return }
                if let from = resume {
                    if seconds < from.seconds && line.time != from.time { continue }
                    if line.time == from.time && from.skip > 0 {
                        resume?.skip -= 1
                        continue
                    }
                }
                if let at = last, at.time == line.time {
                    last?.count = at.count + 1
                } else {
                    last = (seconds, line.time, 1)
                }
                guard await send(entry) else { return }
            }
            guard query.follow else { return }
            // When it stopped for good, one last read: a run that came and
            // went between two looks has left its lines all the same.
            query.follow = await runsAgain(container)
            query.tail = nil
            query.since = last?.seconds ?? request.since
            resume = last.map { ($0.seconds, $0.time, $0.count) }
        }
    }

    /// After a followed run of a container ended: true once it runs again
    /// (its restart policy brought it back), false when it has stopped for
    /// good (no policy brings it back, the user stopped it, it was removed).
    func runsAgain(_ container: ContainerInfo) async -> Bool {
        // Only this container is looked at (its labels narrow the list before
        // the runtime observes anything), however many the project has.
        let own = [ComposeLabel.project, ComposeLabel.service, ComposeLabel.containerNumber, ComposeLabel.oneoff]
        let filter = LabelFilter(container.labels.filter { own.contains($0.key) }.mapValues { Optional($0) })
        var unseenExit = 0
        while !Task.isCancelled {
            let now = try? await runtime.containers(matching: filter).first { $0.id == container.id }
            guard let now else { return false }
            if now.state.isRunning { return true }
            switch await supervisor.status(of: container.id)?.restart.state {
            case .restarting?: break
            case .running?, .created?:
                // The supervisor has not seen the exit yet; it will within a moment.
                unseenExit += 1
                if unseenExit > 100 { return false }
            default: return false
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// `berth exec -T`: the output is sent as it comes, byte for byte.
    public func exec(_ request: ExecRequest, send: @escaping @Sendable (ExecChunk) -> Void) async throws -> ExecExit {
        let container = try await replica(project: request.projectName, service: request.service, index: request.index)
        guard container.state.isRunning else {
            throw BerthError(.invalidState, "container \(container.name) is not running")
        }
        let input = try Self.standardInput(request.standardInput, of: "exec") ?? []
        let spec = ExecSpec(
            command: request.command, environment: request.environment, user: request.user,
            workingDir: request.workingDir, standardInput: input)
        let code = try await runtime.exec(container.id, spec) { stream, bytes in
            send(ExecChunk(stream: stream.rawValue, data: Data(bytes).base64EncodedString()))
        }
        return ExecExit(exitCode: code)
    }

    /// The CLI's standard input for `exec` or `run`, sent as base64.
    static func standardInput(_ encoded: String?, of command: String) throws -> [UInt8]? {
        guard let encoded else { return nil }
        guard let data = Data(base64Encoded: encoded) else {
            throw BerthError(.usage, "\(command): the standard input sent is not base64")
        }
        return [UInt8](data)
    }

    func replica(project: String, service: String, index: Int) async throws -> ContainerInfo {
        let containers = try await containers(project: project, services: [service])
        guard let container = containers.first(where: { $0.replicaNumber == index }) else {
            throw BerthError(.notFound, "service \"\(service)\" has no container with index \(index)")
        }
        return container
    }

    /// `berth wait`: each selected container's exit code.
    public func wait(_ request: WaitRequest) async throws -> WaitResponse {
        let containers = try await containers(project: request.projectName, services: request.services)
        let runtime = runtime
        var codes: [String: Int32] = [:]
        try await withThrowingTaskGroup(of: (String, Int32).self) { group in
            for container in containers {
                group.addTask { (container.name, try await runtime.waitContainer(container.id)) }
            }
            for try await (name, code) in group { codes[name] = code }
        }
        return WaitResponse(exitCodes: codes)
    }

    /// `berth top`.
    public func top(_ request: TopRequest) async throws -> [TopEntry] {
        var entries: [TopEntry] = []
        for container in try await containers(project: request.projectName, services: request.services)
        where container.state.isRunning {
            let table = try await runtime.processes(container.id)
            entries.append(TopEntry(container: container.name, titles: table.titles, processes: table.processes))
        }
        return entries
    }

    /// `berth stats`: each container read twice, half a second apart, for
    /// its CPU share (docker's stats compares two readings too). A stopped
    /// container, with `all`, shows zeros.
    public func stats(_ request: StatsRequest) async throws -> [StatsEntry] {
        let selected = try await containers(project: request.projectName, services: request.services)
            .filter { request.all || $0.state.isRunning }
        let runtime = runtime
        func readings() async -> [String: ContainerStats] {
            await withTaskGroup(of: (String, ContainerStats?).self) { group in
                for info in selected where info.state.isRunning {
                    group.addTask { (info.id, try? await runtime.stats(info.id)) }
                }
                var result: [String: ContainerStats] = [:]
                for await (id, stats) in group { result[id] = stats }
                return result
            }
        }
        let first = await readings()
        try await Task.sleep(for: .milliseconds(500))
        let second = await readings()
        return selected.map { info in
            guard let now = second[info.id] else {
                return StatsEntry(
                    id: info.id, name: info.name, cpuPercent: 0, memoryUsage: 0, memoryLimit: 0, networkReceived: 0,
                    networkSent: 0, blockRead: 0, blockWritten: 0, pids: 0)
            }
            var cpu = 0.0
            if let before = first[info.id], now.readAt > before.readAt, now.cpuNanoseconds >= before.cpuNanoseconds {
                cpu = Double(now.cpuNanoseconds - before.cpuNanoseconds) / ((now.readAt - before.readAt) * 1e9) * 100
            }
            return StatsEntry(
                id: info.id, name: info.name, cpuPercent: cpu, memoryUsage: now.memoryUsage,
                memoryLimit: now.memoryLimit, networkReceived: now.networkReceived, networkSent: now.networkSent,
                blockRead: now.blockRead, blockWritten: now.blockWritten, pids: now.pids)
        }
    }

    /// `berth cp`: between the host and one running container of a service.
    public func copy(_ request: CopyRequest) async throws -> Empty {
        let container = try await replica(project: request.projectName, service: request.service, index: request.index)
        try await runtime.copy(container.id, request.copy)
        return Empty()
    }

    /// `berth events`: the runtime's and the supervisor's, as they happen.
    public func events(_ request: EventsRequest) async -> AsyncStream<EventRecord> {
        let runtimeEvents = await runtime.events()
        let supervisorEvents = await supervisor.events()
        let runtime = runtime
        let (stream, continuation) = AsyncStream<EventRecord>.makeStream()
        let project = request.projectName
        let owner: @Sendable (String) async -> (project: String, service: String)? = { id in
            guard let info = try? await runtime.containers(matching: LabelFilter()).first(where: { $0.id == id }) else {
                return nil
            }
            return (info.labels[ComposeLabel.project] ?? "", info.composeService ?? "")
        }
        let first = Task {
            for await event in runtimeEvents {
                let who = await owner(event.containerID)
                if let project, who?.project != project { continue }
                var attributes = ["name": event.containerName]
                if let code = event.exitCode { attributes["exitCode"] = "\(code)" }
                continuation.yield(
                    EventRecord(
                        time: Self.now(), action: event.kind.rawValue, id: event.containerID,
                        service: who?.service ?? "", attributes: attributes))
            }
        }
        let second = Task {
            for await event in supervisorEvents {
                if let project, await owner(event.containerID)?.project != project { continue }
                continuation.yield(
                    EventRecord(
                        time: Self.now(), action: event.action, id: event.containerID,
                        service: event.service, attributes: ["name": event.containerName]))
            }
        }
        continuation.onTermination = { _ in
            first.cancel()
            second.cancel()
        }
        return stream
    }

    /// The time now in RFC 3339 with fractional seconds.
    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    /// `start`, `stop`, `restart`, `kill`, `rm`, `pause`, `unpause`.
    public func act(_ request: ContainerActionRequest, report: @escaping ProgressSink) async throws {
        try await locks.withLock(request.projectName) {
            let project = store.load(request.projectName)
            let reporting = executing(project, report: report)
            let containers = try await containers(project: request.projectName, services: request.services)
            let grace = request.timeout.map { Int64($0 * 1_000_000_000) }
            func stopArguments(_ info: ContainerInfo) -> (String, Int64) {
                let service = info.composeService.flatMap { project?.services[$0] }
                return (
                    service?.stopSignal ?? ServiceSpecs.defaultStopSignal,
                    grace ?? service?.stopGracePeriod ?? ServiceSpecs.defaultStopGrace
                )
            }
            var errors: [BerthError] = []
            func attempt(_ body: () async throws -> Void) async {
                do { try await body() } catch {
                    errors.append((error as? BerthError) ?? BerthError(.executionFailed, "\(error)"))
                }
            }
            switch request.action {
            case .start:
                for info in containers where !info.state.isRunning {
                    await attempt { try await reporting.startContainer(info.id) }
                }
            case .stop:
                for info in containers.reversed() where info.state.isRunning {
                    let (signal, grace) = stopArguments(info)
                    await attempt { try await reporting.stopContainer(info.id, signal: signal, grace: grace) }
                }
            case .restart:
                for info in containers.reversed() where info.state.isRunning {
                    let (signal, grace) = stopArguments(info)
                    await attempt { try await reporting.stopContainer(info.id, signal: signal, grace: grace) }
                }
                for info in containers {
                    await attempt { try await reporting.startContainer(info.id) }
                }
            case .kill:
                for info in containers where info.state.isRunning {
                    await attempt { try await reporting.killContainer(info.id, signal: request.signal ?? "SIGKILL") }
                    report(ProgressEvent(kind: .container, name: info.name, status: "Killed", done: true))
                }
            case .pause, .unpause:
                let pausing = request.action == .pause
                for info in containers where info.state.isRunning && (info.paused ?? false) != pausing {
                    await attempt {
                        try await reporting.pauseContainer(info.id, paused: pausing)
                        report(
                            ProgressEvent(
                                kind: .container, name: info.name, status: pausing ? "Paused" : "Unpaused", done: true))
                    }
                }
            case .remove:
                for info in containers {
                    if info.state.isRunning && !request.force { continue }
                    await attempt { try await reporting.removeContainer(info.id, force: request.force) }
                }
            }
            await names?.refresh()
            store.saveSupervisorSnapshot(await supervisor.snapshot())
            if let error = BerthError.combined(errors) { throw error }
        }
    }
}

extension DaemonService {
    /// Exposed ports not published, as docker lists them: one publisher per
    /// port (a range counts each), with no address and no published port.
    static func exposedPublishers(_ exposed: [String], besides published: [PublisherSummary]) -> [PublisherSummary] {
        var seen = Set(published.map { "\($0.targetPort)/\($0.protocol)" })
        var result: [PublisherSummary] = []
        for entry in exposed {
            let parts = entry.split(separator: "/", maxSplits: 1)
            let transport = parts.count > 1 ? String(parts[1]) : "tcp"
            let bounds = (parts.first ?? "").split(separator: "-").compactMap { Int($0) }
            guard let low = bounds.first, let high = bounds.last, low <= high, high - low < 65536 else { continue }
            for port in low...high where seen.insert("\(port)/\(transport)").inserted {
                result.append(PublisherSummary(url: "", targetPort: port, publishedPort: 0, protocol: transport))
            }
        }
        return result.sorted { ($0.targetPort, $0.protocol) < ($1.targetPort, $1.protocol) }
    }
}

/// `berth logs` without `-f`: each container's lines in turn, pulled from
/// the runtime a batch at a time. One consumer calls `next`, one call at a time.
final class LogWalk: @unchecked Sendable {
    private let runtime: any ContainerRuntime
    private var containers: ArraySlice<ContainerInfo>
    private let request: LogsRequest
    private var current: (container: ContainerInfo, lines: AsyncThrowingStream<[LogRecord], any Error>.AsyncIterator)?

    init(runtime: any ContainerRuntime, containers: [ContainerInfo], request: LogsRequest) {
        self.runtime = runtime
        self.containers = containers[...]
        self.request = request
    }

    /// The next lines of the container being read, or of the next one.
    func next() async throws -> [LogEntry]? {
        while true {
            guard var reading = current else {
                guard let container = containers.popFirst() else { return nil }
                let query = LogQuery(tail: request.tail, since: request.since)
                current = (container, try await runtime.logBatches(container.id, query).makeAsyncIterator())
                continue
            }
            let lines = try await reading.lines.next()
            current = reading
            guard let lines else {
                current = nil
                continue
            }
            let container = reading.container
            var entries = lines.map { LogEntry($0, of: container) }
            // Past `until`, the rest of this container's log is later still.
            if let until = request.until, let late = entries.firstIndex(where: { ($0.seconds ?? 0) >= until }) {
                entries.removeSubrange(late...)
                current = nil
                if entries.isEmpty { continue }
            }
            return entries
        }
    }
}

extension LogEntry {
    /// A line of `container`'s log as `berth logs` receives it.
    init(_ line: LogRecord, of container: ContainerInfo) {
        self.init(
            container: container.name, service: container.composeService ?? "", stream: line.stream, time: line.time,
            text: line.text)
    }
}
