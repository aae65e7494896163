import ArgumentParser
import DaemonAPI
import Foundation

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
        if !force, Terminal.standardInputIsTerminal, try await !confirmed() { return }
        if stop { try await ContainerAction.run(project.options, .stop, services: services) }
        try await ContainerAction.run(project.options, .remove, services: services, force: stop)
    }

    /// docker compose's question on a terminal: the containers that would
    /// go, then `Are you sure? [yN]`; anything but y is no.
    func confirmed() async throws -> Bool {
        let (name, _) = try ProjectContext.name(project.options)
        let containers = try await ProjectContext.call(
            .ps, PsRequest(projectName: name, services: services, all: true))
        let going = containers.filter { stop || $0.state != "running" }.map(\.name)
        guard !going.isEmpty else {
            FileHandleOutput.standardError("No stopped containers\n")
            return false
        }
        FileHandleOutput.standardError("Going to remove \(going.joined(separator: ", "))\nAre you sure? [yN] ")
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return answer == "y" || answer == "yes"
    }
}
