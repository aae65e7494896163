import ArgumentParser

/// `berth rm`: remove stopped service containers.
struct RmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove stopped service containers.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: [.short, .customLong("force")], help: "Do not ask for confirmation.") var force = false
    @Flag(name: [.short, .customLong("stop")], help: "Stop the containers first.") var stop = false
    @Flag(
        name: [.short, .customLong("volumes")],
        help: "Accepted for docker compose: anonymous volumes always go with their container.")
    var volumes = false
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        if stop { try await ContainerAction.run(project, .stop, services: services) }
        try await ContainerAction.run(project, .remove, services: services, force: stop)
    }
}
