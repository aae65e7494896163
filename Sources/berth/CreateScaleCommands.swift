import ArgumentParser
import BerthModel
import DaemonAPI

/// `berth create`: the containers made, none started (`up --no-start`).
struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create containers for services without starting them.")

    @OptionGroup var project: ProjectOptions
    @Flag(help: "Build images before creating containers.") var build = false
    @Flag(name: .customLong("no-build"), help: "Do not build an image, even if it is missing.") var noBuild = false
    @Flag(name: .customLong("force-recreate"), help: "Recreate containers even if unchanged.") var forceRecreate = false
    @Flag(name: .customLong("no-recreate"), help: "Never recreate existing containers.") var noRecreate = false
    @Flag(name: .customLong("remove-orphans"), help: "Remove containers of services not in the compose file.")
    var removeOrphans = false
    @Option(name: .customLong("scale"), help: "SERVICE=NUM; overrides the compose file.") var scale: [String] = []
    @Option(help: "Pull images before creating: always, missing, never, build.") var pull: String?
    @Flag(name: .customLong("quiet-pull"), help: "Pull without printing progress.") var quietPull = false
    @Flag(name: [.customShort("y"), .customLong("yes")], help: "Assume yes to prompts (create asks none).")
    var yes = false
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Argument(help: "Services (with their dependencies).") var services: [String] = []

    func run() async throws {
        try UpCommand.checkPull(pull)
        let loaded = try ProjectContext.load(project, services: services)
        let request = UpRequest(
            project: loaded.project, services: services, forceRecreate: forceRecreate, noRecreate: noRecreate,
            removeOrphans: removeOrphans, scale: try parseScale(scale), noStart: true, pull: pull,
            configDirectory: RegistryConfig.directory, build: build, noBuild: noBuild)
        let printer = ProgressPrinter(mode: progress, quietPull: quietPull)
        let result = try await ProjectContext.stream(.up, request, printer: printer)
        for warning in result.warnings { printer.note("WARN: \(warning)") }
    }
}

/// `berth scale web=3 worker=2`: each service brought to that many
/// replicas (with its dependencies up, unless `--no-deps`), in the
/// background, as `docker compose scale` does.
struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scale", abstract: "Scale services.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: .customLong("no-deps"), help: "Do not start linked services.") var noDeps = false
    @Option(help: "Progress output: auto, tty, plain, quiet, json.") var progress: ProgressMode = .auto
    @Argument(help: "SERVICE=REPLICAS, one or more.") var counts: [String] = []

    func run() async throws {
        guard !counts.isEmpty else { throw BerthError(.usage, "scale: name at least one SERVICE=REPLICAS") }
        let scale = try parseScale(counts)
        let services = scale.keys.sorted()
        let loaded = try ProjectContext.load(project, services: services)
        for name in services where loaded.project.services[name] == nil {
            throw BerthError(.notFound, "no such service: \(name)")
        }
        let request = UpRequest(
            project: loaded.project, services: services, noDeps: noDeps, scale: scale,
            configDirectory: RegistryConfig.directory)
        let printer = ProgressPrinter(mode: progress)
        let result = try await ProjectContext.stream(.up, request, printer: printer)
        for warning in result.warnings { printer.note("WARN: \(warning)") }
    }
}
