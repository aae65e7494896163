import ArgumentParser

/// `berth rm`: remove stopped service containers.
struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove stopped service containers.")

    /// `-f` is `--force` here, as in docker compose: the file is `--file`, or `-f` before `rm`.
    @OptionGroup var project: ProjectOptionsLongFile
    @Flag(name: [.short, .customLong("force")], help: "Do not ask for confirmation.") var force = false
    @Flag(name: [.short, .customLong("stop")], help: "Stop the containers first.") var stop = false
    @Flag(
        name: [.short, .customLong("volumes")],
        help: "Accepted for docker compose: anonymous volumes always go with their container.")
    var volumes = false
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        if stop { try await ContainerAction.run(project.options, .stop, services: services) }
        try await ContainerAction.run(project.options, .remove, services: services, force: stop)
    }
}
