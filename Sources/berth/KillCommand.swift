import ArgumentParser

/// `berth kill`.
struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Force stop service containers.")

    @OptionGroup var project: ProjectOptions
    @Option(name: [.short, .customLong("signal")], help: "Signal to send.") var signal: String = "SIGKILL"
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        try await ContainerAction.run(project, .kill, services: services, signal: signal)
    }
}
