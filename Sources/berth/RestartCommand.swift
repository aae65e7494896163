import ArgumentParser

/// `berth restart`.
struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart services.")

    @OptionGroup var project: ProjectOptions
    @Option(name: [.short, .customLong("timeout")], help: "Shutdown timeout in seconds.") var timeout: Double?
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        try await ContainerAction.run(project, .restart, services: services, timeout: timeout)
    }
}
