import ArgumentParser

/// `berth stop`.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop services.")

    @OptionGroup var project: ProjectOptions
    @Option(name: [.short, .customLong("timeout")], help: "Shutdown timeout in seconds.") var timeout: Double?
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        try await ContainerAction.run(project, .stop, services: services, timeout: timeout)
    }
}
