import ArgumentParser

/// `berth start`.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start services.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        try await ContainerAction.run(project, .start, services: services)
    }
}
