import ArgumentParser
import DaemonAPI

/// `berth wait SERVICE…`: block until the services' containers stop; exit with the first one's code.
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Block until containers of the services stop.")

    @OptionGroup var project: ProjectOptions
    @Flag(name: .customLong("down-project"), help: "Drop the project when the first container stops.") var downProject =
        false
    @Argument(help: "Services.") var services: [String]

    func run() async throws {
        let (name, loaded) = try ProjectContext.name(project)
        let response = try await ProjectContext.call(.wait, WaitRequest(projectName: name, services: services))
        let first = response.exitCodes.keys.sorted().first.flatMap { response.exitCodes[$0] } ?? 0
        if downProject {
            _ = try await ProjectContext.stream(
                .down, DownRequest(projectName: name, project: loaded), printer: ProgressPrinter(mode: .auto))
        }
        if first != 0 { throw ExitCode(first) }
    }
}
