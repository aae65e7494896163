import ArgumentParser
import DaemonAPI

/// `berth ls`: the projects berthd runs.
struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List running compose projects.")

    @Flag(name: [.short, .customLong("all")], help: "Show stopped projects too.") var all = false
    @Flag(name: [.short, .customLong("quiet")], help: "Only display names.") var quiet = false
    @Option(help: "table or json.") var format: String = "table"

    func run() async throws {
        var projects = try await ProjectContext.call(.projects, Empty())
        if !all { projects = projects.filter { $0.status.contains("running") } }
        if quiet {
            FileHandleOutput.standardOutput(projects.map { $0.name + "\n" }.joined())
        } else if format == "json" {
            FileHandleOutput.standardOutput(jsonLine(projects) + "\n")
        } else {
            FileHandleOutput.standardOutput(
                table(["NAME", "STATUS", "CONFIG FILES"], projects.map { [$0.name, $0.status, $0.configFiles] }))
        }
    }
}
