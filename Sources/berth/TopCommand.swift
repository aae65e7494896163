import ArgumentParser
import DaemonAPI

/// `berth top`: the processes of each running container.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "Services.") var services: [String] = []

    func run() async throws {
        let (name, _) = try ProjectContext.name(project)
        let entries = try await ProjectContext.call(.top, TopRequest(projectName: name, services: services))
        for entry in entries {
            FileHandleOutput.standardOutput(entry.container + "\n" + table(entry.titles, entry.processes) + "\n")
        }
    }
}
