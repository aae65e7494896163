import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `berth up`: create and start the stack, as `docker compose up` does.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Create and start containers.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("detach")], help: "Run in the background.") var detach = false
    @Flag(help: "Wait for services to be running and healthy (implies --detach).") var wait = false
    @Option(name: .customLong("wait-timeout"), help: "Seconds to wait with --wait.") var waitTimeout: Double?
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if unchanged.") var forceRecreate = false
    @Flag(name: .customLong("no-recreate"), help: "Never recreate existing containers.") var noRecreate = false
    @Flag(name: .customLong("no-deps"), help: "Do not start linked services.") var noDeps = false
    @Flag(
        name: [.customShort("V"), .customLong("renew-anon-volumes")],
        help: "Recreate anonymous volumes instead of retrieving data from the previous containers.")
    var renewAnonVolumes = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers of services not in the compose file.")
    var removeOrphans = false
    @Option(name: .customLong("scale"), help: "SERVICE=NUM; overrides the compose file.") var scale: [String] = []
    @Flag(name: .customLong("no-start"), help: "Create but do not start.") var noStart = false
    @Flag(help: "Build images before starting containers.") var build = false
    @Flag(name: .customLong("no-build"), help: "Do not build an image, even if it is missing.") var noBuild = false
    @Flag(name: .customLong("abort-on-container-exit"), help: "Stop all containers if any container stops.")
    var abortOnExit = false
    @Option(
        name: .customLong("exit-code-from"),
        help: "Return the exit code of this service's container (implies --abort-on-container-exit).")
    var exitCodeFrom: String?
    @Option(name: [.short, .customLong("timeout")], help: "Shutdown timeout in seconds.") var timeout: Double?
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Option(help: "Pull images before running: always, missing, never, build.") var pull: String?
    @Flag(name: .customLong("quiet-pull"), help: "Pull without printing progress.") var quietPull = false
    @Flag(name: .customLong("no-color"), help: "Monochrome output.") var noColor = false
    @Flag(name: .customLong("no-log-prefix"), help: "Do not print the container name in the logs.")
    var noLogPrefix = false
    @Flag(name: .customLong("timestamps"), help: "Show timestamps in the logs.") var timestamps = false
    @Option(name: .customLong("attach"), help: "Show the logs of this service only (repeatable).")
    var attach: [String] = []
    @Option(name: .customLong("no-attach"), help: "Do not show this service's logs (repeatable).")
    var noAttach: [String] = []
    @Flag(name: [.customShort("y"), .customLong("yes")], help: "Assume yes to prompts (up asks none).")
    var yes = false
    @Argument(help: "Services to start (with their dependencies).") var services: [String] = []

    func run() async throws {
        try Self.checkPull(pull)
        let loaded = try ProjectContext.load(project, services: services)
        let request = UpRequest(
            project: loaded.project, services: services, noDeps: noDeps, forceRecreate: forceRecreate,
            noRecreate: noRecreate, removeOrphans: removeOrphans, scale: try parseScale(scale), noStart: noStart,
            wait: wait, waitTimeout: waitTimeout, timeout: timeout, renewAnonymousVolumes: renewAnonVolumes,
            pull: pull, configDirectory: RegistryConfig.directory, build: build, noBuild: noBuild)
        let printer = ProgressPrinter(mode: progress, quietPull: quietPull)
        // Attached, only this up's output shows (docker compose attaches, it
        // does not replay): a container started again had an older run's.
        let began = Date().timeIntervalSince1970
        let result = try await ProjectContext.stream(.up, request, printer: printer)
        if result.unchanged {
            // As docker compose: every container already as asked says so.
            for container in result.containers where container.state == "running" {
                printer.handle(ProgressEvent(kind: .container, name: container.name, status: "Running", done: true))
            }
        }
        for warning in result.warnings { printer.note("WARN: \(warning)") }
        if detach || wait || noStart { return }
        let logPrinter = LogPrinter(
            noPrefix: noLogPrefix, timestamps: timestamps, colour: !noColor && isatty(1) == 1)
        let code = try await Attached(
            projectName: loaded.name.rawValue, services: services, abortOnExit: abortOnExit || exitCodeFrom != nil,
            exitCodeFrom: exitCodeFrom, timeout: timeout, printer: printer, logPrinter: logPrinter, since: began,
            shown: Self.shown(loaded.project, services: services, attach: attach, noAttach: noAttach),
            started: services.isEmpty ? [] : loaded.project.graph.selecting(services, noDeps: noDeps)
        ).run()
        if code != 0 { throw ExitCode(code) }
    }
}

extension UpCommand {
    /// `--pull`'s values, as docker compose takes them (`up`, `create`).
    static func checkPull(_ pull: String?) throws {
        if let pull, !["always", "missing", "never", "build"].contains(pull) {
            throw BerthError(.usage, "--pull \(pull): expected always, missing, never or build")
        }
    }

    /// The services whose logs an attached `up` shows: `--attach`'s, else
    /// those it starts, without `--no-attach`'s and those with `attach:
    /// false`, as docker compose does. Nil: every one.
    static func shown(_ project: Project, services: [String], attach: [String], noAttach: [String]) -> [String]? {
        if !attach.isEmpty { return attach }
        let hidden = Set(noAttach).union(project.services.values.filter { $0.attach == false }.map(\.name))
        guard !hidden.isEmpty else { return services.isEmpty ? nil : services }
        let started = services.isEmpty ? project.serviceNames : project.graph.selecting(services, noDeps: false)
        return started.filter { !hidden.contains($0) }
    }
}

/// `up` without `-d`: the services' logs, prefixed and coloured, until
/// every container has exited; Ctrl-C stops the stack.
struct Attached: Sendable {
    let projectName: String
    let services: [String]
    let abortOnExit: Bool
    let exitCodeFrom: String?
    let timeout: Double?
    let printer: ProgressPrinter
    let logPrinter: LogPrinter
    /// Seconds since the epoch: lines from before this up are not shown.
    let since: Double
    /// The services whose logs are shown; nil: all; empty: none.
    let shown: [String]?
    /// The services this `up` started (the named ones and their
    /// dependencies); empty: the whole project.
    let started: [String]

    func run() async throws -> Int32 {
        // Ctrl-C stops the stack instead of ending berth at once, while the
        // stack runs and while it stops.
        try await Interrupts.handled([SIGINT, SIGTERM]) { interrupts in
            let logs = Task {
                // Every service is left out: nothing to show (an empty list would be all).
                if shown?.isEmpty == true { return }
                try await Daemon.connect().logs(
                    LogsRequest(projectName: projectName, services: shown ?? [], follow: true, since: since)
                ) { logPrinter.print($0) }
            }
            defer { logs.cancel() }
            let outcome = await withTaskGroup(of: Int32?.self) { group -> Int32 in
                group.addTask {
                    for await _ in interrupts {
                        FileHandleOutput.standardError("Gracefully stopping... (press Ctrl+C again to force)\n")
                        return -1
                    }
                    return nil
                }
                group.addTask { await watchExits() }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first ?? 0
            }
            if outcome == -1 || abortOnExit {
                if outcome != -1 { FileHandleOutput.standardOutput("Aborting on container exit...\n") }
                // `up web db` then Ctrl-C: only what this up started stops, as in docker compose.
                let request = ContainerActionRequest(
                    projectName: projectName, action: .stop, services: started, timeout: timeout)
                _ = try await ProjectContext.stream(.containerAction, request, printer: printer)
            }
            // The services' last lines (what they said on the way down) come
            // before the end: what the follow had not reached yet is read once more.
            logs.cancel()
            _ = await logs.result
            try await catchUp(logPrinter)
            if let exitCodeFrom {
                let containers = try await ProjectContext.call(
                    .ps, PsRequest(projectName: projectName, services: [exitCodeFrom], all: true))
                return containers.first?.exitCode ?? 0
            }
            return outcome == -1 ? 130 : outcome
        }
    }

    /// Prints the lines logged since the last one `printer` printed.
    func catchUp(_ printer: LogPrinter) async throws {
        guard let since = printer.lastTime, shown?.isEmpty != true else { return }
        let request = LogsRequest(projectName: projectName, services: shown ?? [], follow: false, since: since)
        try? await Daemon.connect().logs(request) { printer.print($0, skippingSeen: true) }
    }

    /// The stack's end as seen in one `ps`: with `--abort-on-container-exit`
    /// the first exited container's code, else 0 once none runs or is about
    /// to. Nil: not yet.
    func ended(_ containers: [ContainerSummary]) -> Int32? {
        let exited = containers.filter { $0.state == "exited" || $0.state == "dead" }
        guard !exited.isEmpty else { return nil }
        guard abortOnExit || exited.count == containers.count else { return nil }
        return abortOnExit ? exited.first?.exitCode ?? 0 : 0
    }

    /// `web-1 exited with code 0`, as docker compose says it, once the
    /// container's last line has been printed (the logs come on another
    /// connection than the event, and may be behind it).
    func sayExited(_ name: String, service: String, code: String) async {
        if shown.map({ $0.contains(service) }) ?? true {
            let request = LogsRequest(projectName: projectName, services: [service], tail: 1)
            let latest = Mutex<LogEntry?>(nil)
            try? await Daemon.connect().logs(request) { entry in
                if entry.container == name { latest.withLock { $0 = entry } }
            }
            let last = latest.withLock { $0 }
            let deadline = ContinuousClock.now + .seconds(3)
            while let last, (last.seconds ?? 0) >= since, !logPrinter.printed(last), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let short = name.hasPrefix(projectName + "-") ? String(name.dropFirst(projectName.count + 1)) : name
        FileHandleOutput.standardOutput("\(short) exited with code \(code)\n")
    }

    /// Returns when the stack is done: the first exit with
    /// `--abort-on-container-exit`, else once no container runs. Each exit
    /// is said once, also of a container that ended before the events were
    /// followed (it sends no `die` any more; a service that exits at once
    /// hung `up`).
    func watchExits() async -> Int32? {
        guard let connection = try? await Daemon.connect(),
            let frames = try? await connection.frames(.events, EventsRequest(projectName: projectName))
        else { return nil }
        let looked = Date().timeIntervalSince1970
        var early: Set<String> = []
        if let now = try? await ProjectContext.call(
            .ps, PsRequest(projectName: projectName, services: services, all: true))
        {
            for container in now where container.state == "exited" || container.state == "dead" {
                early.insert(container.name)
                await sayExited(container.name, service: container.service, code: "\(container.exitCode)")
            }
            if let code = ended(now) { return code }
        }
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        do {
            for try await frame in frames {
                guard case .item(let event) = frame else { continue }
                let name = event.attributes["name"] ?? event.id
                // A start after the look above: a new run, whose exit is news.
                if event.action == "start", (format.date(from: event.time)?.timeIntervalSince1970 ?? 0) >= looked {
                    early.remove(name)
                }
                guard event.action == "die" else { continue }
                // Said already by the look above (its `die` may carry a later
                // time than the look: the supervisor records it after the
                // runtime has seen the exit).
                if early.remove(name) != nil { continue }
                await sayExited(name, service: event.service, code: event.attributes["exitCode"] ?? "?")
                if abortOnExit { return Int32(event.attributes["exitCode"] ?? "0") ?? 0 }
                let running = try await ProjectContext.call(
                    .ps, PsRequest(projectName: projectName, services: services, all: true))
                if running.allSatisfy({ $0.state != "running" && $0.state != "restarting" }) { return 0 }
            }
        } catch {}
        return nil
    }
}

/// Signals that stop the work in hand rather than the process.
enum Interrupts {
    /// Runs `body` with `signals` delivered to it as values instead of
    /// taking their default action; once it returns, they take it again.
    static func handled<T>(_ signals: [Int32], _ body: (AsyncStream<Int32>) async throws -> T) async rethrows -> T {
        let (caught, delivery) = AsyncStream.makeStream(of: Int32.self)
        let sources = signals.map { number in
            // Ignored, so the default action (the end of berth) does not
            // happen; the source still sees each one.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { delivery.yield(number) }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            for number in signals { signal(number, SIG_DFL) }
            delivery.finish()
        }
        return try await body(caught)
    }
}
