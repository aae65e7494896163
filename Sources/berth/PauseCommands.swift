import ArgumentParser

/// `berth pause`: the services' processes frozen (cgroup freezer); healthchecks wait too.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause services.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        try await ContainerAction.run(project, .pause, services: services)
    }
}

/// `berth unpause`.
struct UnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause services.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        try await ContainerAction.run(project, .unpause, services: services)
    }
}
