import ArgumentParser
import BerthModel
import DaemonAPI
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `berth build [SERVICES]`: builds the images of the project's `build:`
/// services, as `docker compose build` does. Services with the same
/// `build:` are built once; the image gets each of their names (`image:`,
/// else `<project>-<service>`).
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Build or rebuild services.")

    @OptionGroup var project: ProjectOptions
    @OptionGroup var flags: BuildFlags
    @Argument(help: "Services to build (default: all with a build section).") var services: [String] = []

    func run() async throws {
        let loaded = try ProjectContext.load(project, services: services)
        let model = loaded.project
        var builds: [(build: Build, tags: [String])] = []
        for name in services.isEmpty ? model.serviceNames : services {
            guard let service = model.services[name] else {
                throw BerthError(.notFound, "no such service: \(name)")
            }
            guard let build = service.build else { continue }
            let tag = service.image ?? "\(model.name.rawValue)-\(service.name)"
            if let index = builds.firstIndex(where: { $0.build == build }) {
                builds[index].tags.append(tag)
            } else {
                builds.append((build, [tag]))
            }
        }
        for note in Self.unappliedNotes(model, services: services) { FileHandleOutput.standardError("WARN: \(note)\n") }
        for (build, tags) in builds {
            var request = try build.request(tags: tags, secrets: model.secrets)
            for (key, value) in try flags.buildArgs() { request.buildArgs[key] = value }
            request.noCache = request.noCache || flags.noCache
            request.pull = request.pull || flags.pull
            for (id, path) in try flags.secretFiles() { request.secrets[id] = path }
            let result = try await flags.run(request)
            if flags.quiet { FileHandleOutput.standardOutput(result.id + "\n") }
        }
    }

    /// The `build.*` settings the services to build set and Berth does not
    /// apply, as `up` words them, so that `build` drops none silently.
    static func unappliedNotes(_ project: Project, services: [String]) -> [String] {
        (services.isEmpty ? project.serviceNames : services).flatMap { name -> [String] in
            guard let service = project.services[name], service.build != nil else { return [] }
            return (service.unapplied ?? []).filter { $0.hasPrefix("build.") }.map { setting in
                let reason = ServiceAttributes.unapplied(setting).map { ": \($0.reason)" } ?? ""
                return "service \(name): \(setting) is not applied\(reason)"
            }
        }
    }
}

/// The options `berth build` and `berth image build` share.
struct BuildFlags: ParsableArguments {
    @Flag(name: .customLong("no-cache"), help: "Do not use the cache: run every step.") var noCache = false
    @Flag(help: "Always pull the base images (one the store lacks is pulled in any case).") var pull = false
    @Option(name: .customLong("build-arg"), help: "NAME=VALUE (repeatable).") var buildArg: [String] = []
    @Option(name: .customLong("secret"), help: "id=ID,src=PATH: a file RUN --mount=type=secret can read.")
    var secret: [String] = []
    @Flag(name: [.short, .customLong("quiet")], help: "Print only the image ID.") var quiet = false
    @Option(help: "Progress output: auto, tty, plain, quiet.") var progress: ProgressMode = .auto

    func buildArgs() throws -> [String: String] {
        var args: [String: String] = [:]
        for entry in buildArg {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 {
                args[String(parts[0])] = String(parts[1])
            } else if let value = ProcessInfo.processInfo.environment[entry] {
                args[entry] = value
            }
        }
        return args
    }

    /// `--secret id=x,src=path` (also `source=`, `type=file`), paths made absolute.
    func secretFiles() throws -> [String: String] {
        var secrets: [String: String] = [:]
        for entry in secret {
            var id: String?
            var source: String?
            for field in entry.split(separator: ",") {
                let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                switch parts[0] {
                case "id": id = parts[1]
                case "src", "source": source = parts[1]
                default: break
                }
            }
            guard let id else { throw BerthError(.usage, "--secret \(entry): expected id=ID,src=PATH") }
            let path = source ?? id
            secrets[id] = URL(fileURLWithPath: path).standardizedFileURL.path
        }
        return secrets
    }

    /// Sends one build, showing its steps; returns what it made.
    func run(_ request: ImageBuildRequest) async throws -> ImageBuildResult {
        let printer = BuildPrinter(mode: quiet ? .quiet : progress)
        let result = try await Daemon.connect().stream(.imageBuild, request) { printer.handle($0) }
        printer.finish(result)
        return result
    }
}

/// Shows a build's steps: on a terminal one line per step with `CACHED` or
/// its time (the running step's last output line below it, redrawn); with
/// `--progress plain` every step and every output line, prefixed `#N`.
/// On standard error, as docker's.
final class BuildPrinter: Sendable {
    let mode: ProgressMode
    private let started = ContinuousClock.now
    private let live = Mutex<String?>(nil)

    init(mode: ProgressMode) {
        self.mode = mode.resolved
    }

    func handle(_ event: ImageBuildEvent) {
        live.withLock { live in
            switch mode {
            case .quiet, .auto: return
            case _ where event.kind == .running: return
            case .json:
                FileHandleOutput.standardError(jsonLine(event) + "\n")
            case .plain:
                FileHandleOutput.standardError(Self.plainLine(event))
            case .tty:
                var out = live == nil ? "" : "\r\u{1B}[2K"
                live = nil
                switch event.kind {
                case .cached: out += "#\(event.step) \(event.name)  CACHED\n"
                case .done: out += "#\(event.step) \(event.name)  " + String(format: "%.1fs", event.elapsed ?? 0) + "\n"
                case .started, .output:
                    let text = event.kind == .started ? event.name : "#\(event.step) " + (event.text ?? "")
                    live = String(text.prefix(Self.width()))
                    out += live ?? ""
                case .failed:
                    out += "#\(event.step) \(event.name)  ERROR\n"
                    out += (event.text ?? "").split(separator: "\n").map { "  > \($0)\n" }.joined()
                case .note: out += (event.text ?? "") + "\n"
                case .running: break
                }
                FileHandleOutput.standardError(out)
            }
        }
    }

    private static func plainLine(_ event: ImageBuildEvent) -> String {
        switch event.kind {
        case .started: return "#\(event.step) \(event.name)\n"
        case .output: return "#\(event.step) \(event.text ?? "")\n"
        case .cached: return "#\(event.step) \(event.name)\n#\(event.step) CACHED\n"
        case .done: return "#\(event.step) DONE " + String(format: "%.1fs", event.elapsed ?? 0) + "\n"
        case .failed:
            return "#\(event.step) ERROR: \(event.name)\n"
                + (event.text ?? "").split(separator: "\n").map { "  > \($0)\n" }.joined()
        case .note: return "WARN: \(event.text ?? "")\n"
        case .running: return ""
        }
    }

    /// The terminal's width as `COLUMNS` says, 100 when it does not.
    private static func width() -> Int {
        (ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) } ?? 101) - 1
    }

    func finish(_ result: ImageBuildResult) {
        guard mode != .quiet else { return }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var line = "writing image \(result.id)"
        if !result.tags.isEmpty { line += ", naming it " + result.tags.joined(separator: ", ") }
        FileHandleOutput.standardError(
            line + String(format: " (%d ran, %d cached, %.1fs)\n", result.ran, result.cached, seconds))
    }
}
